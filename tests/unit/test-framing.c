/* test-framing: mini and full message headers of protocol/framing.c. */
#include <string.h>

#include <glib.h>
#include <spice/enums.h>

#include "protocol/framing.h"

static void test_sizes(void)
{
    g_assert_cmpuint(framing_header_size(true), ==, 6);
    g_assert_cmpuint(framing_header_size(false), ==, 18);
}

/* MAIN_INIT under a mini header, as upstream sent it (captures/wire.log: 67 00 20 00 00 00). */
static void test_parse_mini_captured(void)
{
    static const uint8_t bytes[] = { 0x67, 0x00, 0x20, 0x00, 0x00, 0x00, 0xaa };
    FrameHeader hdr;
    g_assert_true(framing_parse_header(bytes, sizeof(bytes), true, &hdr));
    g_assert_cmpuint(hdr.type, ==, SPICE_MSG_MAIN_INIT);
    g_assert_cmpuint(hdr.size, ==, 32);
    g_assert_cmpuint(hdr.serial, ==, 0);
    g_assert_cmpuint(hdr.sub_list, ==, 0);
}

static void test_round_trip(void)
{
    for (int mini = 0; mini <= 1; mini++) {
        FrameHeader in = { .serial = G_GUINT64_CONSTANT(0x0102030405060708), .type = 0xfedc,
                           .size = 0x89abcdef, .sub_list = 0x11223344 };
        WireWriter w;
        wire_writer_init(&w);
        framing_write_header(&w, mini, &in);
        g_assert_cmpuint(wire_writer_size(&w), ==, framing_header_size(mini));
        FrameHeader out;
        g_assert_true(framing_parse_header(wire_writer_data(&w), wire_writer_size(&w), mini, &out));
        g_assert_cmpuint(out.type, ==, in.type);
        g_assert_cmpuint(out.size, ==, in.size);
        g_assert_cmpuint(out.serial, ==, mini ? 0 : in.serial);
        g_assert_cmpuint(out.sub_list, ==, mini ? 0 : in.sub_list);
        if (!mini) {
            static const uint8_t expected[] = {
                0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0xdc, 0xfe,
                0xef, 0xcd, 0xab, 0x89, 0x44, 0x33, 0x22, 0x11,
            };
            g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w), expected, sizeof(expected));
        } else {
            static const uint8_t expected[] = { 0xdc, 0xfe, 0xef, 0xcd, 0xab, 0x89 };
            g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w), expected, sizeof(expected));
        }
        wire_writer_finish(&w);
    }
}

static void test_truncated(void)
{
    uint8_t bytes[18];
    memset(bytes, 0xff, sizeof(bytes));
    for (int mini = 0; mini <= 1; mini++) {
        for (size_t len = 0; len < framing_header_size(mini); len++) {
            FrameHeader hdr;
            memset(&hdr, 0x5a, sizeof(hdr));
            g_assert_false(framing_parse_header(bytes, len, mini, &hdr));
            g_assert_cmpuint(hdr.type, ==, 0);
            g_assert_cmpuint(hdr.size, ==, 0);
        }
        FrameHeader hdr;
        g_assert_true(framing_parse_header(bytes, framing_header_size(mini), mini, &hdr));
        g_assert_cmpuint(hdr.size, ==, 0xffffffff);   /* the caller checks it against its maximum */
    }
    FrameHeader hdr;
    g_assert_false(framing_parse_header(NULL, 100, true, &hdr));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/framing/sizes", test_sizes);
    g_test_add_func("/framing/parse-mini-captured", test_parse_mini_captured);
    g_test_add_func("/framing/round-trip", test_round_trip);
    g_test_add_func("/framing/truncated", test_truncated);
    return g_test_run();
}
