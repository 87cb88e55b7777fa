/* client-channel: one SPICE channel connection of a client (connect, link, framing, ack, ping). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/client-tls.h"
#include "client/spice-client.h"
#include "protocol/wire.h"

/*
 * A ClientChannel owns its socket, its TLS connection (client-tls.h) and buffers. It connects
 * (non-blocking; TCP, TLS over TCP, or a unix socket), links (LinkMess with
 * AUTH_SELECTION + MINI_HEADER, SPICE ticket), then frames messages. It answers SET_ACK / PING
 * itself, counts ACKs, splits SPICE_MSG_LIST, logs NOTIFY, and hands every other message (type
 * and body, valid only during the call) to its owner. Failures are reported once through
 * @failed; after that the channel is closed and does nothing more.
 */
typedef struct ClientChannel ClientChannel;

typedef struct ClientChannelHandlers {
    void (*linked)(ClientChannel *ch, void *user);
    void (*message)(ClientChannel *ch, uint16_t type, const uint8_t *body, size_t size, void *user);
    void (*failed)(ClientChannel *ch, SpiceClientError error, const char *message, void *user);
    /* Optional (clstream): asked before each message (not LIST parts) is handled; true holds
     * it, and every later one, unprocessed until client_channel_resume (WAIT_FOR_CHANNELS:
     * other channels must first reach the serials it lists). */
    bool (*hold)(ClientChannel *ch, uint16_t type, const uint8_t *body, size_t size, void *user);
} ClientChannelHandlers;

/*
 * Where a channel connects. TCP: the plain port, or the TLS port when there is no plain port or
 * @secure asks for it; a server answering NEED_SECURED (NEED_UNSECURED) moves the channel once to
 * the other port when it is known, as spice-gtk does. Or a unix socket (no TLS).
 */
typedef struct ClientTarget {
    const char *host;            /* TCP: a name or address (the certificate must name it) */
    uint16_t port;               /* plain TCP port, 0: none */
    uint16_t tls_port;           /* TLS port, 0: none */
    ClientTlsContext *tls;       /* borrowed, outlives the channel; required with tls_port */
    bool secure;                 /* start on the TLS port even when a plain one is known */
    const char *unix_path;       /* a unix socket instead of TCP, or NULL */
} ClientTarget;

/* Copies the target's strings, @password, the caps. Starts connecting on the thread-default
 * main context. */
ClientChannel *client_channel_new(const ClientTarget *target, const char *password,
                                  uint32_t connection_id, uint8_t type, uint8_t id,
                                  const uint32_t *channel_caps, uint32_t num_channel_caps,
                                  unsigned link_timeout_s,
                                  const ClientChannelHandlers *handlers, void *user);
/* Closes the socket and stops; the object stays valid (free it later). Safe from inside any of
 * this or another channel's handlers. No handler is called. */
void client_channel_close(ClientChannel *ch);
/* Closes the socket, removes its sources. Accepts NULL. No handler is called. */
void client_channel_free(ClientChannel *ch);

uint8_t client_channel_type(const ClientChannel *ch);
uint8_t client_channel_id(const ClientChannel *ch);
/* Serial of the last message this channel processed (counted with the mini header, as the
 * server numbers them from 1; 0 before the first). */
uint64_t client_channel_last_serial(const ClientChannel *ch);
/* Processes held messages again (from the main loop, not from inside this call); the hold
 * handler is asked again for the held one. */
void client_channel_resume(ClientChannel *ch);
/* The server's channel caps from its LinkReply. */
bool client_channel_server_has_cap(const ClientChannel *ch, uint32_t bit);
/* Queues one message (header + body) and flushes what the socket takes. */
void client_channel_send(ClientChannel *ch, uint16_t type, const uint8_t *body, size_t size);
/* "main", "display", "inputs", "cursor" or "channel N". */
const char *client_channel_type_name(uint8_t type);
