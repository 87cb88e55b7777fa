/* fuzz-framing: message headers (mini and full) and the base channel message parsers on hostile bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "protocol/base-messages.h"
#include "protocol/framing.h"

static void check_header_round_trip(const uint8_t *data, bool mini, const FrameHeader *hdr)
{
    WireWriter w;
    wire_writer_init(&w);
    framing_write_header(&w, mini, hdr);
    if (wire_writer_size(&w) != framing_header_size(mini) ||
        memcmp(wire_writer_data(&w), data, wire_writer_size(&w)) != 0) {
        abort();
    }
    wire_writer_finish(&w);
}

static void fuzz_base_messages(const uint8_t *body, size_t size)
{
    uint32_t a, b;
    uint64_t t;
    if (base_msg_parse_set_ack(body, size, &a, &b)) {
        WireWriter w;
        wire_writer_init(&w);
        base_msg_write_set_ack(&w, a, b);
        if (memcmp(wire_writer_data(&w), body, BASE_MSG_SET_ACK_SIZE) != 0) {
            abort();
        }
        wire_writer_finish(&w);
    }
    if (base_msg_parse_ping(body, size, &a, &t)) {
        WireWriter w;
        wire_writer_init(&w);
        base_msg_write_pong(&w, a, t);
        if (memcmp(wire_writer_data(&w), body, BASE_MSG_PONG_SIZE) != 0) {
            abort();
        }
        wire_writer_finish(&w);
    }
    (void)base_msg_parse_pong(body, size, &a, &t);
    (void)base_msg_parse_ack_sync(body, size, &a);
    (void)base_msg_parse_disconnecting(body, size, &t, &a);

    BaseNotify notify;
    if (base_msg_parse_notify(body, size, &notify)) {
        if (notify.message < body || notify.message_len > size ||
            (size_t)(notify.message - body) > size - notify.message_len) {
            abort();
        }
        /* Touch every message byte: ASan reports any that lie outside the input. */
        volatile uint8_t x = 0;
        for (uint32_t i = 0; i < notify.message_len; i++) {
            x ^= notify.message[i];
        }
        (void)x;
    }

    static BaseWaitForChannels waits;
    if (base_msg_parse_wait_for_channels(body, size, &waits)) {
        if (size < 1 + (size_t)waits.count * BASE_MSG_WAIT_ENTRY_SIZE) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int mini = 1; mini >= 0; mini--) {
        FrameHeader hdr;
        if (!framing_parse_header(data, size, mini, &hdr)) {
            if (size >= framing_header_size(mini)) {
                abort();
            }
            continue;
        }
        check_header_round_trip(data, mini, &hdr);
        size_t rest = size - framing_header_size(mini);
        size_t body_size = hdr.size < rest ? hdr.size : rest;
        fuzz_base_messages(data + framing_header_size(mini), body_size);
    }
    fuzz_base_messages(data, size);
    return 0;
}
