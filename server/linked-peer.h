/* linked-peer: what the link stage learned about a client connection, handed to its channel. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "spice.h"
#include "red-stream.h"

/*
 * A client socket that passed the link stage (header, capabilities, ticket, link result OK).
 * The reds core builds it in the host's thread and hands it, with ownership, to the channel the
 * client linked to; that channel may move it to another thread (the QXL worker).
 */
typedef struct LinkedPeer {
    int fd;                         /* owned: non-blocking, TCP_NODELAY set */
    uint32_t connection_id;         /* the session id (main: the id the server chose) */
    uint8_t channel_type;           /* SPICE_CHANNEL_* */
    uint8_t channel_id;
    uint32_t *common_caps;          /* owned (g_malloc), the client's common capability words */
    uint32_t num_common_caps;
    uint32_t *channel_caps;         /* owned (g_malloc), the client's channel capability words */
    uint32_t num_channel_caps;
    bool use_mini_header;           /* the client advertised SPICE_COMMON_CAP_MINI_HEADER */
    /*
     * Owned; handed to SpiceCoreInterface.channel_event. QEMU keeps the pointer from INITIALIZED
     * until DISCONNECTED, so it must stay alive (and at the same address) until after the
     * DISCONNECTED event has been delivered.
     */
    SpiceChannelEventInfo *event_info;
    /*
     * Added by core-helper: the server this peer linked to (not owned; outlives the peer). A
     * ChannelConnection uses it to report DISCONNECTED for event_info itself when it closes.
     * NULL for peers made in tests without a server.
     */
    SpiceServer *reds;
    /*
     * Added by tls-helper: the stream the client talks through (owned), plain or TLS. When set,
     * it owns the socket and @fd is only its number (do not close or read @fd yourself). Peers
     * made without a stream (tests) get a plain stream over @fd from channel_connection_new.
     */
    RedStream *stream;
} LinkedPeer;

/* True when bit @cap is set in @caps (of @num_words words); false for bits past the end. */
bool linked_peer_caps_have(const uint32_t *caps, uint32_t num_words, uint32_t cap);
static inline bool linked_peer_has_common_cap(const LinkedPeer *peer, uint32_t cap)
{
    return linked_peer_caps_have(peer->common_caps, peer->num_common_caps, cap);
}
static inline bool linked_peer_has_channel_cap(const LinkedPeer *peer, uint32_t cap)
{
    return linked_peer_caps_have(peer->channel_caps, peer->num_channel_caps, cap);
}

/*
 * Closes the stream (or the fd when there is no stream) and frees everything, event_info
 * included: call it only after DISCONNECTED was reported, or set event_info to NULL first when it
 * was handed to reds_report_channel_event (a ChannelConnection does that for you).
 * Accepts NULL.
 */
void linked_peer_free(LinkedPeer *peer);
