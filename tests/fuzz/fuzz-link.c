/* fuzz-link: the link stage parsers (header, LinkMess, LinkReply, auth mechanism, result) on hostile bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "protocol/link.h"

/* A parsed Mess must survive a rebuild unchanged: catches parsers that accept what they misread. */
static void check_mess_round_trip(const LinkMess *mess)
{
    WireWriter w;
    wire_writer_init(&w);
    if (!link_write_mess(&w, mess->connection_id, mess->channel_type, mess->channel_id,
                         mess->common_caps, mess->num_common_caps,
                         mess->channel_caps, mess->num_channel_caps)) {
        abort();   /* the parser accepted counts the builder refuses */
    }
    uint32_t body_size;
    LinkMess again;
    if (link_parse_header(wire_writer_data(&w), &body_size) != SPICE_LINK_ERR_OK ||
        body_size != wire_writer_size(&w) - LINK_HEADER_SIZE ||
        link_parse_mess(wire_writer_data(&w) + LINK_HEADER_SIZE, body_size, &again) != SPICE_LINK_ERR_OK ||
        again.connection_id != mess->connection_id || again.channel_type != mess->channel_type ||
        again.channel_id != mess->channel_id || again.num_common_caps != mess->num_common_caps ||
        again.num_channel_caps != mess->num_channel_caps ||
        (mess->num_common_caps &&
         memcmp(again.common_caps, mess->common_caps, mess->num_common_caps * 4u) != 0) ||
        (mess->num_channel_caps &&
         memcmp(again.channel_caps, mess->channel_caps, mess->num_channel_caps * 4u) != 0)) {
        abort();
    }
    link_mess_clear(&again);
    wire_writer_finish(&w);
}

static void fuzz_body(const uint8_t *body, size_t size)
{
    LinkMess mess;
    if (link_parse_mess(body, size, &mess) == SPICE_LINK_ERR_OK) {
        /* Every cap word must be readable (ASan checks the copies' bounds). */
        uint32_t sum = 0;
        for (uint32_t i = 0; i < mess.num_common_caps; i++) {
            sum ^= mess.common_caps[i];
        }
        for (uint32_t i = 0; i < mess.num_channel_caps; i++) {
            sum ^= mess.channel_caps[i];
        }
        (void)link_caps_has(mess.common_caps, mess.num_common_caps, sum & 0xff);
        check_mess_round_trip(&mess);
    }
    link_mess_clear(&mess);

    LinkReply reply;
    if (link_parse_reply(body, size, &reply) == SPICE_LINK_ERR_OK) {
        if (reply.num_common_caps + reply.num_channel_caps > LINK_MAX_CAPS_WORDS) {
            abort();
        }
        for (uint32_t i = 0; i < reply.num_channel_caps; i++) {
            (void)link_caps_has(reply.channel_caps, reply.num_channel_caps, reply.channel_caps[i] & 63);
        }
        (void)link_error_to_string((SpiceLinkErr)reply.error);
    }
    link_reply_clear(&reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= LINK_HEADER_SIZE) {
        uint32_t body_size = 0;
        SpiceLinkErr err = link_parse_header(data, &body_size);
        if (err == SPICE_LINK_ERR_OK && (body_size < LINK_MESS_SIZE || body_size > LINK_MAX_BODY_SIZE)) {
            abort();
        }
        (void)link_error_to_string(err);
        err = link_parse_reply_header(data, &body_size);
        if (err == SPICE_LINK_ERR_OK && (body_size < LINK_REPLY_SIZE || body_size > LINK_MAX_BODY_SIZE)) {
            abort();
        }
        /* As a peer would: the body is what follows, cut to what the header announced. */
        size_t rest = size - LINK_HEADER_SIZE;
        fuzz_body(data + LINK_HEADER_SIZE, body_size && body_size < rest ? body_size : rest);
    }
    /* And the whole input as a body, to reach the caps checks without a valid header. */
    fuzz_body(data, size);
    if (size >= 4) {
        (void)link_parse_auth_mechanism(data);
        (void)link_error_to_string((SpiceLinkErr)link_parse_result(data));
    }
    return 0;
}
