/* link: the SPICE link stage on the wire (header, LinkMess, LinkReply, auth mechanism, result). */
#include "protocol/link.h"

#include <string.h>

#include <glib.h>

/* The magic as the u32 read little-endian from the bytes "REDQ". */
#define LINK_MAGIC_LE 0x51444552u

G_STATIC_ASSERT(sizeof(SpiceLinkHeader) == LINK_HEADER_SIZE);
G_STATIC_ASSERT(sizeof(SpiceLinkMess) == LINK_MESS_SIZE);
G_STATIC_ASSERT(sizeof(SpiceLinkReply) == LINK_REPLY_SIZE);
G_STATIC_ASSERT(sizeof(SpiceLinkAuthMechanism) == LINK_AUTH_MECHANISM_SIZE);
G_STATIC_ASSERT(sizeof(SpiceLinkEncryptedTicket) == LINK_TICKET_SIZE);

static SpiceLinkErr parse_header(const uint8_t buf[LINK_HEADER_SIZE], uint32_t min_body,
                                 uint32_t *body_size)
{
    WireReader r;
    wire_reader_init(&r, buf, LINK_HEADER_SIZE);
    uint32_t magic = wire_read_u32(&r);
    uint32_t major = wire_read_u32(&r);
    (void)wire_read_u32(&r);   /* minor: any minor of our major is compatible */
    uint32_t size = wire_read_u32(&r);
    *body_size = 0;
    if (magic != LINK_MAGIC_LE) {
        return SPICE_LINK_ERR_INVALID_MAGIC;
    }
    if (major != SPICE_VERSION_MAJOR) {
        return SPICE_LINK_ERR_VERSION_MISMATCH;
    }
    if (size < min_body || size > LINK_MAX_BODY_SIZE) {
        return SPICE_LINK_ERR_INVALID_DATA;
    }
    *body_size = size;
    return SPICE_LINK_ERR_OK;
}

SpiceLinkErr link_parse_header(const uint8_t buf[LINK_HEADER_SIZE], uint32_t *body_size)
{
    return parse_header(buf, LINK_MESS_SIZE, body_size);
}

SpiceLinkErr link_parse_reply_header(const uint8_t buf[LINK_HEADER_SIZE], uint32_t *body_size)
{
    return parse_header(buf, LINK_REPLY_SIZE, body_size);
}

void link_write_header(WireWriter *w, uint32_t body_size)
{
    wire_write_u32(w, LINK_MAGIC_LE);
    wire_write_u32(w, SPICE_VERSION_MAJOR);
    wire_write_u32(w, SPICE_VERSION_MINOR);
    wire_write_u32(w, body_size);
}

/*
 * Reads the two cap arrays located by (caps_offset, counts) inside a body of @size bytes whose
 * fixed part is @fixed_size bytes. On success the arrays are g_malloc'd copies (NULL if empty).
 */
static bool parse_caps(const uint8_t *body, size_t size, size_t fixed_size, uint32_t caps_offset,
                       uint32_t num_common, uint32_t num_channel,
                       uint32_t **common_out, uint32_t **channel_out)
{
    *common_out = NULL;
    *channel_out = NULL;
    /* Each count is bounded before the sum, so neither the sum nor the byte size can wrap. */
    if (num_common > LINK_MAX_CAPS_WORDS || num_channel > LINK_MAX_CAPS_WORDS ||
        num_common + num_channel > LINK_MAX_CAPS_WORDS) {
        return false;
    }
    uint32_t num_caps = num_common + num_channel;
    if (num_caps == 0) {
        /* Nothing is read at caps_offset, so (as upstream) its value does not matter. */
        return true;
    }
    size_t caps_bytes = (size_t)num_caps * sizeof(uint32_t);
    if (caps_offset < fixed_size || caps_offset > size || size - caps_offset < caps_bytes) {
        return false;
    }
    WireReader r;
    wire_reader_init(&r, body, size);
    wire_reader_seek(&r, caps_offset);
    uint32_t *common = num_common ? g_new(uint32_t, num_common) : NULL;
    uint32_t *channel = num_channel ? g_new(uint32_t, num_channel) : NULL;
    for (uint32_t i = 0; i < num_common; i++) {
        common[i] = wire_read_u32(&r);
    }
    for (uint32_t i = 0; i < num_channel; i++) {
        channel[i] = wire_read_u32(&r);
    }
    if (!wire_reader_ok(&r)) {   /* cannot happen after the checks above; kept as a guard */
        g_free(common);
        g_free(channel);
        return false;
    }
    *common_out = common;
    *channel_out = channel;
    return true;
}

SpiceLinkErr link_parse_mess(const uint8_t *body, size_t size, LinkMess *mess)
{
    memset(mess, 0, sizeof(*mess));
    if (body == NULL || size < LINK_MESS_SIZE || size > LINK_MAX_BODY_SIZE) {
        return SPICE_LINK_ERR_INVALID_DATA;
    }
    WireReader r;
    wire_reader_init(&r, body, size);
    uint32_t connection_id = wire_read_u32(&r);
    uint8_t channel_type = wire_read_u8(&r);
    uint8_t channel_id = wire_read_u8(&r);
    uint32_t num_common = wire_read_u32(&r);
    uint32_t num_channel = wire_read_u32(&r);
    uint32_t caps_offset = wire_read_u32(&r);
    if (!wire_reader_ok(&r)) {
        return SPICE_LINK_ERR_INVALID_DATA;
    }
    uint32_t *common, *channel;
    if (!parse_caps(body, size, LINK_MESS_SIZE, caps_offset, num_common, num_channel,
                    &common, &channel)) {
        return SPICE_LINK_ERR_INVALID_DATA;
    }
    mess->connection_id = connection_id;
    mess->channel_type = channel_type;
    mess->channel_id = channel_id;
    mess->common_caps = common;
    mess->num_common_caps = num_common;
    mess->channel_caps = channel;
    mess->num_channel_caps = num_channel;
    return SPICE_LINK_ERR_OK;
}

void link_mess_clear(LinkMess *mess)
{
    g_free(mess->common_caps);
    g_free(mess->channel_caps);
    memset(mess, 0, sizeof(*mess));
}

/* The builders refuse what the peer's parser would refuse: too many words or too big a body. */
static bool caps_counts_ok(size_t fixed_size, uint32_t num_common, uint32_t num_channel)
{
    return num_common <= LINK_MAX_CAPS_WORDS && num_channel <= LINK_MAX_CAPS_WORDS &&
           num_common + num_channel <= LINK_MAX_CAPS_WORDS &&
           fixed_size + (size_t)(num_common + num_channel) * sizeof(uint32_t) <= LINK_MAX_BODY_SIZE;
}

static void write_caps(WireWriter *w, const uint32_t *caps, uint32_t num)
{
    for (uint32_t i = 0; i < num; i++) {
        wire_write_u32(w, caps[i]);
    }
}

bool link_write_mess(WireWriter *w, uint32_t connection_id, uint8_t channel_type, uint8_t channel_id,
                     const uint32_t *common_caps, uint32_t num_common_caps,
                     const uint32_t *channel_caps, uint32_t num_channel_caps)
{
    if (!caps_counts_ok(LINK_MESS_SIZE, num_common_caps, num_channel_caps) ||
        (num_common_caps && !common_caps) || (num_channel_caps && !channel_caps)) {
        return false;
    }
    uint32_t num_caps = num_common_caps + num_channel_caps;
    link_write_header(w, LINK_MESS_SIZE + num_caps * (uint32_t)sizeof(uint32_t));
    wire_write_u32(w, connection_id);
    wire_write_u8(w, channel_type);
    wire_write_u8(w, channel_id);
    wire_write_u32(w, num_common_caps);
    wire_write_u32(w, num_channel_caps);
    wire_write_u32(w, LINK_MESS_SIZE);
    write_caps(w, common_caps, num_common_caps);
    write_caps(w, channel_caps, num_channel_caps);
    return true;
}

bool link_write_reply(WireWriter *w, SpiceLinkErr error,
                      const uint8_t pubkey[SPICE_TICKET_PUBKEY_BYTES],
                      const uint32_t *common_caps, uint32_t num_common_caps,
                      const uint32_t *channel_caps, uint32_t num_channel_caps)
{
    if (error != SPICE_LINK_ERR_OK) {
        /* Error replies carry nothing but the code (upstream's layout; clients stop reading). */
        link_write_header(w, LINK_REPLY_SIZE);
        wire_write_u32(w, (uint32_t)error);
        wire_write_zeros(w, LINK_REPLY_SIZE - 4);
        return true;
    }
    if (!caps_counts_ok(LINK_REPLY_SIZE, num_common_caps, num_channel_caps) ||
        (num_common_caps && !common_caps) || (num_channel_caps && !channel_caps)) {
        return false;
    }
    uint32_t num_caps = num_common_caps + num_channel_caps;
    link_write_header(w, LINK_REPLY_SIZE + num_caps * (uint32_t)sizeof(uint32_t));
    wire_write_u32(w, SPICE_LINK_ERR_OK);
    if (pubkey) {
        wire_write_bytes(w, pubkey, SPICE_TICKET_PUBKEY_BYTES);
    } else {
        wire_write_zeros(w, SPICE_TICKET_PUBKEY_BYTES);
    }
    wire_write_u32(w, num_common_caps);
    wire_write_u32(w, num_channel_caps);
    wire_write_u32(w, LINK_REPLY_SIZE);
    write_caps(w, common_caps, num_common_caps);
    write_caps(w, channel_caps, num_channel_caps);
    return true;
}

SpiceLinkErr link_parse_reply(const uint8_t *body, size_t size, LinkReply *reply)
{
    memset(reply, 0, sizeof(*reply));
    if (body == NULL || size < LINK_REPLY_SIZE || size > LINK_MAX_BODY_SIZE) {
        return SPICE_LINK_ERR_INVALID_DATA;
    }
    WireReader r;
    wire_reader_init(&r, body, size);
    uint32_t error = wire_read_u32(&r);
    uint8_t pub_key[SPICE_TICKET_PUBKEY_BYTES];
    wire_read_bytes(&r, pub_key, sizeof(pub_key));
    uint32_t num_common = wire_read_u32(&r);
    uint32_t num_channel = wire_read_u32(&r);
    uint32_t caps_offset = wire_read_u32(&r);
    if (!wire_reader_ok(&r)) {
        return SPICE_LINK_ERR_INVALID_DATA;
    }
    if (error != SPICE_LINK_ERR_OK) {
        /* The rest of an error reply is meaningless: report only the code. */
        reply->error = error;
        return SPICE_LINK_ERR_OK;
    }
    uint32_t *common, *channel;
    if (!parse_caps(body, size, LINK_REPLY_SIZE, caps_offset, num_common, num_channel,
                    &common, &channel)) {
        return SPICE_LINK_ERR_INVALID_DATA;
    }
    reply->error = SPICE_LINK_ERR_OK;
    memcpy(reply->pub_key, pub_key, sizeof(pub_key));
    reply->common_caps = common;
    reply->num_common_caps = num_common;
    reply->channel_caps = channel;
    reply->num_channel_caps = num_channel;
    return SPICE_LINK_ERR_OK;
}

void link_reply_clear(LinkReply *reply)
{
    g_free(reply->common_caps);
    g_free(reply->channel_caps);
    memset(reply, 0, sizeof(*reply));
}

void link_caps_set(uint32_t *words, uint32_t bit)
{
    words[bit / 32] |= 1u << (bit % 32);
}

bool link_caps_has(const uint32_t *words, uint32_t num_words, uint32_t bit)
{
    if (words == NULL || bit / 32 >= num_words) {
        return false;
    }
    return (words[bit / 32] >> (bit % 32)) & 1u;
}

uint32_t link_parse_auth_mechanism(const uint8_t buf[LINK_AUTH_MECHANISM_SIZE])
{
    WireReader r;
    wire_reader_init(&r, buf, LINK_AUTH_MECHANISM_SIZE);
    return wire_read_u32(&r);
}

void link_write_auth_mechanism(WireWriter *w, uint32_t mechanism)
{
    wire_write_u32(w, mechanism);
}

void link_write_result(WireWriter *w, SpiceLinkErr result)
{
    wire_write_u32(w, (uint32_t)result);
}

uint32_t link_parse_result(const uint8_t buf[LINK_RESULT_SIZE])
{
    WireReader r;
    wire_reader_init(&r, buf, LINK_RESULT_SIZE);
    return wire_read_u32(&r);
}

const char *link_error_to_string(SpiceLinkErr err)
{
    switch (err) {
    case SPICE_LINK_ERR_OK: return "SPICE_LINK_ERR_OK";
    case SPICE_LINK_ERR_ERROR: return "SPICE_LINK_ERR_ERROR";
    case SPICE_LINK_ERR_INVALID_MAGIC: return "SPICE_LINK_ERR_INVALID_MAGIC";
    case SPICE_LINK_ERR_INVALID_DATA: return "SPICE_LINK_ERR_INVALID_DATA";
    case SPICE_LINK_ERR_VERSION_MISMATCH: return "SPICE_LINK_ERR_VERSION_MISMATCH";
    case SPICE_LINK_ERR_NEED_SECURED: return "SPICE_LINK_ERR_NEED_SECURED";
    case SPICE_LINK_ERR_NEED_UNSECURED: return "SPICE_LINK_ERR_NEED_UNSECURED";
    case SPICE_LINK_ERR_PERMISSION_DENIED: return "SPICE_LINK_ERR_PERMISSION_DENIED";
    case SPICE_LINK_ERR_BAD_CONNECTION_ID: return "SPICE_LINK_ERR_BAD_CONNECTION_ID";
    case SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE: return "SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE";
    case SPICE_LINK_ERR_ENUM_END: break;
    }
    return "unknown link error";
}
