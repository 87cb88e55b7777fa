/* link: the SPICE link stage on the wire (header, LinkMess, LinkReply, auth mechanism, result). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <spice/enums.h>
#include <spice/protocol.h>

#include "protocol/wire.h"

/*
 * Both roles: the server parses LinkMess and writes LinkReply, the client writes LinkMess and
 * parses LinkReply. No I/O here: callers read/write the bytes. Layouts are those of
 * spice/protocol.h (all little-endian, packed); caps_offset is measured from the first byte of
 * the Mess/Reply body (the byte after the 16-byte SpiceLinkHeader).
 *
 * Sequence (server view): read LINK_HEADER_SIZE bytes -> link_parse_header -> read body_size
 * bytes -> link_parse_mess -> write link_write_reply -> read LINK_AUTH_MECHANISM_SIZE bytes if
 * the server advertised SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION -> read LINK_TICKET_SIZE bytes
 * (see ticket.h) -> write link_write_result.
 */

#define LINK_HEADER_SIZE 16u            /* sizeof(SpiceLinkHeader) */
#define LINK_MESS_SIZE 18u              /* sizeof(SpiceLinkMess), the fixed part */
#define LINK_REPLY_SIZE 178u            /* sizeof(SpiceLinkReply), the fixed part */
#define LINK_AUTH_MECHANISM_SIZE 4u     /* sizeof(SpiceLinkAuthMechanism) */
#define LINK_TICKET_SIZE 128u           /* sizeof(SpiceLinkEncryptedTicket) */
#define LINK_RESULT_SIZE 4u             /* the bare u32 link result */
#define LINK_MAX_BODY_SIZE 4096u        /* largest Mess/Reply body accepted (as upstream) */
#define LINK_MAX_CAPS_WORDS 1024u       /* largest common+channel cap word count (as upstream) */

/*
 * Server side: checks a client's 16-byte SpiceLinkHeader. Returns SPICE_LINK_ERR_OK and sets
 * *body_size (LINK_MESS_SIZE .. LINK_MAX_BODY_SIZE), or INVALID_MAGIC (not "REDQ"),
 * VERSION_MISMATCH (major != SPICE_VERSION_MAJOR), INVALID_DATA (size out of limits). The
 * minor version is not checked (any minor of major 2 is accepted, as upstream).
 */
SpiceLinkErr link_parse_header(const uint8_t buf[LINK_HEADER_SIZE], uint32_t *body_size);

/*
 * Client side: the same checks on a server's header, with the body limits of a reply
 * (LINK_REPLY_SIZE .. LINK_MAX_BODY_SIZE).
 */
SpiceLinkErr link_parse_reply_header(const uint8_t buf[LINK_HEADER_SIZE], uint32_t *body_size);

/* Writes a SpiceLinkHeader (magic, SPICE_VERSION_MAJOR, SPICE_VERSION_MINOR, @body_size). */
void link_write_header(WireWriter *w, uint32_t body_size);

/*
 * A parsed SpiceLinkMess. The cap arrays are owned by the struct (g_malloc'd, NULL when their
 * count is 0); link_mess_clear frees them. A caller may take an array over (e.g. into a
 * LinkedPeer) by copying the pointer and setting the field to NULL.
 */
typedef struct LinkMess {
    uint32_t connection_id;
    uint8_t channel_type;
    uint8_t channel_id;
    uint32_t *common_caps;
    uint32_t num_common_caps;
    uint32_t *channel_caps;
    uint32_t num_channel_caps;
} LinkMess;

/*
 * Parses a Mess body of @size bytes (what followed the header). On SPICE_LINK_ERR_OK fills
 * @mess (which the caller later clears); on error (INVALID_DATA: shorter than LINK_MESS_SIZE or
 * longer than LINK_MAX_BODY_SIZE, caps_offset before
 * the fixed part or past the end, cap counts over LINK_MAX_CAPS_WORDS or that do not fit) @mess
 * is left zeroed with nothing to free. Bytes after the caps are ignored (as upstream).
 */
SpiceLinkErr link_parse_mess(const uint8_t *body, size_t size, LinkMess *mess);
/* Frees the caps and zeroes @mess. Accepts a zeroed struct. */
void link_mess_clear(LinkMess *mess);

/*
 * Client side: writes header + SpiceLinkMess + caps (caps_offset = LINK_MESS_SIZE).
 * @common_caps/@channel_caps may be NULL when their count is 0. Returns false (and writes
 * nothing) if the counts exceed LINK_MAX_CAPS_WORDS together or the body would exceed
 * LINK_MAX_BODY_SIZE (1019 words at most), i.e. whatever the server would refuse.
 */
bool link_write_mess(WireWriter *w, uint32_t connection_id, uint8_t channel_type, uint8_t channel_id,
                     const uint32_t *common_caps, uint32_t num_common_caps,
                     const uint32_t *channel_caps, uint32_t num_channel_caps);

/*
 * Server side: writes header + SpiceLinkReply (+ caps). For @error == SPICE_LINK_ERR_OK:
 * @pubkey is the DER public key (NULL: zeros, e.g. when SASL is used) and the caps follow
 * (caps_offset = LINK_REPLY_SIZE). For any other error: everything is zero except error, the
 * body is exactly LINK_REPLY_SIZE bytes and the caps arguments are ignored (as upstream).
 * Returns false (and writes nothing) if the cap counts exceed LINK_MAX_CAPS_WORDS together or
 * the body would exceed LINK_MAX_BODY_SIZE (979 words at most).
 */
bool link_write_reply(WireWriter *w, SpiceLinkErr error,
                      const uint8_t pubkey[SPICE_TICKET_PUBKEY_BYTES],
                      const uint32_t *common_caps, uint32_t num_common_caps,
                      const uint32_t *channel_caps, uint32_t num_channel_caps);

/* A parsed SpiceLinkReply; caps owned as in LinkMess. */
typedef struct LinkReply {
    uint32_t error;              /* a SpiceLinkErr as sent (may be outside the enum) */
    uint8_t pub_key[SPICE_TICKET_PUBKEY_BYTES];
    uint32_t *common_caps;
    uint32_t num_common_caps;
    uint32_t *channel_caps;
    uint32_t num_channel_caps;
} LinkReply;

/*
 * Client side: parses a Reply body. Returns SPICE_LINK_ERR_OK when the bytes are well formed
 * (look at reply->error for the server's verdict; caps are only parsed when it is OK), or
 * INVALID_DATA when they are not, or @size is outside LINK_REPLY_SIZE..LINK_MAX_BODY_SIZE (then
 * @reply is zeroed).
 */
SpiceLinkErr link_parse_reply(const uint8_t *body, size_t size, LinkReply *reply);
void link_reply_clear(LinkReply *reply);

/* Sets bit @bit in @words (the caller sizes @words: at least bit / 32 + 1 words). */
void link_caps_set(uint32_t *words, uint32_t bit);
/* True when bit @bit is set; false when it lies past @num_words (or @words is NULL). */
bool link_caps_has(const uint32_t *words, uint32_t num_words, uint32_t bit);

/*
 * SpiceLinkAuthMechanism: a u32 naming the capability bit of the chosen mechanism
 * (SPICE_COMMON_CAP_AUTH_SPICE or SPICE_COMMON_CAP_AUTH_SASL). Parsing only decodes; the caller
 * decides what it accepts.
 */
uint32_t link_parse_auth_mechanism(const uint8_t buf[LINK_AUTH_MECHANISM_SIZE]);
void link_write_auth_mechanism(WireWriter *w, uint32_t mechanism);

/* The link result: a bare u32 SpiceLinkErr sent by the server after the ticket. */
void link_write_result(WireWriter *w, SpiceLinkErr result);
/* Returns the raw value (may be outside the enum; anything but OK is a failure). */
uint32_t link_parse_result(const uint8_t buf[LINK_RESULT_SIZE]);

/* A static name for every SPICE_LINK_ERR_* code ("SPICE_LINK_ERR_PERMISSION_DENIED");
 * "unknown link error" for anything else. Never NULL. */
const char *link_error_to_string(SpiceLinkErr err);
