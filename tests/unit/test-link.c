/* test-link: the link stage parsers and builders of protocol/link.c, against captured bytes. */
#include <string.h>

#include <glib.h>
#include <spice/enums.h>
#include <spice/protocol.h>

#include "protocol/link.h"

/* spice-gtk 0.42 linking the main channel (captures/wire.log, first client packet). */
static const uint8_t captured_client_link[] = {
    0x52, 0x45, 0x44, 0x51, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, /* REDQ 2 2 */
    0x1a, 0x00, 0x00, 0x00,                                                 /* size 26 */
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00,                                     /* id 0, main, 0 */
    0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x12, 0x00, 0x00, 0x00, /* 1, 1, offset 18 */
    0x0d, 0x00, 0x00, 0x00, 0x0f, 0x00, 0x00, 0x00,                         /* caps */
};

/* Upstream spice-server 0.15.1's reply to it (header + reply + caps, two packets joined). */
static const uint8_t captured_server_reply[] = {
    0x52, 0x45, 0x44, 0x51, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
    0xba, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x81, 0x9f, 0x30,
    0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
    0x05, 0x00, 0x03, 0x81, 0x8d, 0x00, 0x30, 0x81, 0x89, 0x02, 0x81, 0x81,
    0x00, 0xb4, 0x45, 0x90, 0x2e, 0xe3, 0xd2, 0xc0, 0xce, 0x0b, 0x3e, 0x25,
    0x2d, 0x66, 0xba, 0x79, 0x12, 0xbd, 0x2d, 0x5f, 0x4a, 0x6f, 0xb1, 0x4a,
    0x02, 0xef, 0x00, 0x0a, 0xad, 0x2b, 0xc8, 0x73, 0x5e, 0x4f, 0xf8, 0x21,
    0x17, 0xaf, 0xb4, 0x1b, 0x8f, 0x29, 0xd6, 0x84, 0x87, 0x6d, 0x9c, 0x13,
    0x49, 0xe6, 0xfb, 0x92, 0x95, 0x1c, 0xe8, 0x14, 0x09, 0x72, 0xd8, 0x1a,
    0x1a, 0x0d, 0x11, 0x9a, 0x35, 0xaa, 0x43, 0xd9, 0x65, 0x02, 0xa9, 0x3f,
    0xea, 0x00, 0x58, 0xcd, 0xe4, 0x1c, 0x13, 0x13, 0x4e, 0xb3, 0x73, 0xe6,
    0x15, 0x46, 0x5d, 0x9b, 0x4f, 0x4d, 0x22, 0xce, 0xd2, 0x03, 0x24, 0xe7,
    0x59, 0x15, 0x3c, 0xd9, 0x52, 0xfe, 0xfa, 0x30, 0x9c, 0x0a, 0xb2, 0x59,
    0xa8, 0xba, 0xc4, 0xd0, 0x84, 0xef, 0x8f, 0xd4, 0x05, 0x1e, 0x52, 0x83,
    0x4e, 0x82, 0xc6, 0x0f, 0xc1, 0xaf, 0xdb, 0xeb, 0x4f, 0x02, 0x03, 0x01,
    0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xb2, 0x00,
    0x00, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x0f, 0x00, 0x00, 0x00,
};

static const uint8_t *captured_pubkey(void)
{
    return captured_server_reply + LINK_HEADER_SIZE + 4;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void test_parse_captured_client_link(void)
{
    uint32_t body_size = 0;
    g_assert_cmpint(link_parse_header(captured_client_link, &body_size), ==, SPICE_LINK_ERR_OK);
    g_assert_cmpuint(body_size, ==, 26);
    g_assert_cmpuint(sizeof(captured_client_link), ==, LINK_HEADER_SIZE + body_size);

    LinkMess mess;
    g_assert_cmpint(link_parse_mess(captured_client_link + LINK_HEADER_SIZE, body_size, &mess), ==,
                    SPICE_LINK_ERR_OK);
    g_assert_cmpuint(mess.connection_id, ==, 0);
    g_assert_cmpuint(mess.channel_type, ==, SPICE_CHANNEL_MAIN);
    g_assert_cmpuint(mess.channel_id, ==, 0);
    g_assert_cmpuint(mess.num_common_caps, ==, 1);
    g_assert_cmpuint(mess.num_channel_caps, ==, 1);
    g_assert_cmphex(mess.common_caps[0], ==, 0x0d);
    g_assert_cmphex(mess.channel_caps[0], ==, 0x0f);
    g_assert_true(link_caps_has(mess.common_caps, mess.num_common_caps, SPICE_COMMON_CAP_MINI_HEADER));
    g_assert_true(link_caps_has(mess.common_caps, mess.num_common_caps,
                                SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION));
    g_assert_false(link_caps_has(mess.common_caps, mess.num_common_caps, SPICE_COMMON_CAP_AUTH_SPICE));
    g_assert_true(link_caps_has(mess.common_caps, mess.num_common_caps, SPICE_COMMON_CAP_AUTH_SASL));
    link_mess_clear(&mess);
    g_assert_null(mess.common_caps);
    g_assert_cmpuint(mess.num_common_caps, ==, 0);
}

/* Our client-side builder must produce spice-gtk's bytes exactly. */
static void test_write_mess_matches_capture(void)
{
    uint32_t common[1] = { 0 }, channel[1] = { 0x0f };
    link_caps_set(common, SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION);
    link_caps_set(common, SPICE_COMMON_CAP_AUTH_SASL);
    link_caps_set(common, SPICE_COMMON_CAP_MINI_HEADER);
    WireWriter w;
    wire_writer_init(&w);
    g_assert_true(link_write_mess(&w, 0, SPICE_CHANNEL_MAIN, 0, common, 1, channel, 1));
    g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w),
                    captured_client_link, sizeof(captured_client_link));
    wire_writer_finish(&w);
}

/* Our server-side builder with upstream's key and caps must produce upstream's bytes exactly. */
static void test_write_reply_matches_capture(void)
{
    uint32_t common[1] = { 0 }, channel[1] = { 0x0f };
    link_caps_set(common, SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION);
    link_caps_set(common, SPICE_COMMON_CAP_AUTH_SPICE);
    link_caps_set(common, SPICE_COMMON_CAP_MINI_HEADER);
    g_assert_cmphex(common[0], ==, 0x0b);
    WireWriter w;
    wire_writer_init(&w);
    g_assert_true(link_write_reply(&w, SPICE_LINK_ERR_OK, captured_pubkey(), common, 1, channel, 1));
    g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w),
                    captured_server_reply, sizeof(captured_server_reply));
    wire_writer_finish(&w);
}

static void test_parse_captured_server_reply(void)
{
    uint32_t body_size = 0;
    g_assert_cmpint(link_parse_reply_header(captured_server_reply, &body_size), ==, SPICE_LINK_ERR_OK);
    g_assert_cmpuint(body_size, ==, 186);
    LinkReply reply;
    g_assert_cmpint(link_parse_reply(captured_server_reply + LINK_HEADER_SIZE, body_size, &reply), ==,
                    SPICE_LINK_ERR_OK);
    g_assert_cmpuint(reply.error, ==, SPICE_LINK_ERR_OK);
    g_assert_cmpmem(reply.pub_key, SPICE_TICKET_PUBKEY_BYTES, captured_pubkey(), SPICE_TICKET_PUBKEY_BYTES);
    g_assert_cmphex(reply.pub_key[0], ==, 0x30);
    g_assert_cmphex(reply.pub_key[1], ==, 0x81);
    g_assert_cmphex(reply.pub_key[2], ==, 0x9f);
    g_assert_cmpuint(reply.num_common_caps, ==, 1);
    g_assert_cmpuint(reply.num_channel_caps, ==, 1);
    g_assert_cmphex(reply.common_caps[0], ==, 0x0b);
    g_assert_cmphex(reply.channel_caps[0], ==, 0x0f);
    link_reply_clear(&reply);
}

static void test_error_reply_layout(void)
{
    uint32_t caps[1] = { 0xffffffff };
    WireWriter w;
    wire_writer_init(&w);
    g_assert_true(link_write_reply(&w, SPICE_LINK_ERR_NEED_SECURED, captured_pubkey(), caps, 1, caps, 1));
    const uint8_t *d = wire_writer_data(&w);
    g_assert_cmpuint(wire_writer_size(&w), ==, LINK_HEADER_SIZE + LINK_REPLY_SIZE);
    g_assert_cmpmem(d, 12, captured_server_reply, 12);
    static const uint8_t size_178[] = { 0xb2, 0, 0, 0 };
    g_assert_cmpmem(d + 12, 4, size_178, 4);
    static const uint8_t err[] = { SPICE_LINK_ERR_NEED_SECURED, 0, 0, 0 };
    g_assert_cmpmem(d + 16, 4, err, 4);
    for (size_t i = 20; i < wire_writer_size(&w); i++) {
        g_assert_cmpuint(d[i], ==, 0);
    }
    /* And the client side sees the code. */
    uint32_t body_size;
    g_assert_cmpint(link_parse_reply_header(d, &body_size), ==, SPICE_LINK_ERR_OK);
    LinkReply reply;
    g_assert_cmpint(link_parse_reply(d + LINK_HEADER_SIZE, body_size, &reply), ==, SPICE_LINK_ERR_OK);
    g_assert_cmpuint(reply.error, ==, SPICE_LINK_ERR_NEED_SECURED);
    g_assert_null(reply.common_caps);
    link_reply_clear(&reply);
    wire_writer_finish(&w);
}

static void test_round_trip_many_caps(void)
{
    uint32_t common[3] = { 0 }, channel[1000];
    link_caps_set(common, 0);
    link_caps_set(common, 95);
    for (uint32_t i = 0; i < G_N_ELEMENTS(channel); i++) {
        channel[i] = i * 2654435761u;
    }
    WireWriter w;
    wire_writer_init(&w);
    g_assert_true(link_write_mess(&w, 0xabcdef01, SPICE_CHANNEL_DISPLAY, 3, common, 3, channel, 1000));
    uint32_t body_size;
    g_assert_cmpint(link_parse_header(wire_writer_data(&w), &body_size), ==, SPICE_LINK_ERR_OK);
    g_assert_cmpuint(body_size, ==, LINK_MESS_SIZE + 4 * 1003);
    LinkMess mess;
    g_assert_cmpint(link_parse_mess(wire_writer_data(&w) + LINK_HEADER_SIZE, body_size, &mess), ==,
                    SPICE_LINK_ERR_OK);
    g_assert_cmpuint(mess.connection_id, ==, 0xabcdef01);
    g_assert_cmpuint(mess.channel_type, ==, SPICE_CHANNEL_DISPLAY);
    g_assert_cmpuint(mess.channel_id, ==, 3);
    g_assert_cmpmem(mess.common_caps, 12, common, 12);
    g_assert_cmpmem(mess.channel_caps, 4000, channel, 4000);
    g_assert_true(link_caps_has(mess.common_caps, 3, 95));
    g_assert_false(link_caps_has(mess.common_caps, 3, 94));
    g_assert_false(link_caps_has(mess.common_caps, 3, 96));   /* past the last word */
    link_mess_clear(&mess);

    /* Over 1024 words in total is refused by the builders. */
    wire_writer_reset(&w);
    uint32_t big[1025] = { 0 };
    g_assert_false(link_write_mess(&w, 0, 1, 0, big, 1025, NULL, 0));
    g_assert_false(link_write_mess(&w, 0, 1, 0, big, 25, big, 1000));
    g_assert_false(link_write_reply(&w, SPICE_LINK_ERR_OK, NULL, big, 1, big, 1024));
    g_assert_false(link_write_mess(&w, 0, 1, 0, NULL, 1, NULL, 0));   /* count without array */
    /* Under 1024 words but a body over 4096 bytes: the server would refuse it, so do we. */
    g_assert_false(link_write_mess(&w, 0, 1, 0, big, 1020, NULL, 0));
    g_assert_false(link_write_reply(&w, SPICE_LINK_ERR_OK, NULL, big, 980, NULL, 0));
    g_assert_cmpuint(wire_writer_size(&w), ==, 0);
    g_assert_true(link_write_mess(&w, 0, 1, 0, big, 1019, NULL, 0));
    g_assert_cmpuint(wire_writer_size(&w), ==, LINK_HEADER_SIZE + LINK_MAX_BODY_SIZE - 2);
    wire_writer_reset(&w);
    g_assert_true(link_write_reply(&w, SPICE_LINK_ERR_OK, NULL, big, 979, NULL, 0));
    g_assert_cmpuint(wire_writer_size(&w), ==, LINK_HEADER_SIZE + LINK_MAX_BODY_SIZE - 2);
    wire_writer_reset(&w);
    g_assert_cmpuint(wire_writer_size(&w), ==, 0);
    /* A reply without key (SASL) has zeros in its place and still parses. */
    g_assert_true(link_write_reply(&w, SPICE_LINK_ERR_OK, NULL, NULL, 0, NULL, 0));
    LinkReply reply;
    g_assert_cmpint(link_parse_reply(wire_writer_data(&w) + LINK_HEADER_SIZE,
                                     wire_writer_size(&w) - LINK_HEADER_SIZE, &reply), ==, SPICE_LINK_ERR_OK);
    g_assert_cmpuint(reply.pub_key[0], ==, 0);
    g_assert_cmpuint(reply.num_common_caps, ==, 0);
    link_reply_clear(&reply);
    wire_writer_finish(&w);
}

static void test_header_errors(void)
{
    uint8_t hdr[LINK_HEADER_SIZE];
    uint32_t body_size;

    memcpy(hdr, captured_client_link, sizeof(hdr));
    hdr[3] = 'R';   /* "REDR" */
    body_size = 77;
    g_assert_cmpint(link_parse_header(hdr, &body_size), ==, SPICE_LINK_ERR_INVALID_MAGIC);
    g_assert_cmpuint(body_size, ==, 0);
    memcpy(hdr, "GET / HTTP/1.1\r\n", 16);
    g_assert_cmpint(link_parse_header(hdr, &body_size), ==, SPICE_LINK_ERR_INVALID_MAGIC);

    memcpy(hdr, captured_client_link, sizeof(hdr));
    put_u32(hdr + 4, 1);
    g_assert_cmpint(link_parse_header(hdr, &body_size), ==, SPICE_LINK_ERR_VERSION_MISMATCH);
    put_u32(hdr + 4, 3);
    g_assert_cmpint(link_parse_header(hdr, &body_size), ==, SPICE_LINK_ERR_VERSION_MISMATCH);
    put_u32(hdr + 4, 2);
    put_u32(hdr + 8, 77);   /* any minor is fine */
    g_assert_cmpint(link_parse_header(hdr, &body_size), ==, SPICE_LINK_ERR_OK);

    static const struct { uint32_t size; SpiceLinkErr mess; SpiceLinkErr reply; } sizes[] = {
        { 0, SPICE_LINK_ERR_INVALID_DATA, SPICE_LINK_ERR_INVALID_DATA },
        { 17, SPICE_LINK_ERR_INVALID_DATA, SPICE_LINK_ERR_INVALID_DATA },
        { 18, SPICE_LINK_ERR_OK, SPICE_LINK_ERR_INVALID_DATA },
        { 177, SPICE_LINK_ERR_OK, SPICE_LINK_ERR_INVALID_DATA },
        { 178, SPICE_LINK_ERR_OK, SPICE_LINK_ERR_OK },
        { 4096, SPICE_LINK_ERR_OK, SPICE_LINK_ERR_OK },
        { 4097, SPICE_LINK_ERR_INVALID_DATA, SPICE_LINK_ERR_INVALID_DATA },
        { 0xffffffff, SPICE_LINK_ERR_INVALID_DATA, SPICE_LINK_ERR_INVALID_DATA },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
        put_u32(hdr + 12, sizes[i].size);
        g_assert_cmpint(link_parse_header(hdr, &body_size), ==, sizes[i].mess);
        g_assert_cmpuint(body_size, ==, sizes[i].mess == SPICE_LINK_ERR_OK ? sizes[i].size : 0);
        g_assert_cmpint(link_parse_reply_header(hdr, &body_size), ==, sizes[i].reply);
    }

    /* Magic is checked before the version, the version before the size (as upstream). */
    memset(hdr, 0xff, sizeof(hdr));
    g_assert_cmpint(link_parse_header(hdr, &body_size), ==, SPICE_LINK_ERR_INVALID_MAGIC);
    memcpy(hdr, captured_client_link, 4);
    g_assert_cmpint(link_parse_header(hdr, &body_size), ==, SPICE_LINK_ERR_VERSION_MISMATCH);
}

/* A 26-byte Mess body like the capture's, with fields overridden. */
static void make_mess(uint8_t body[26], uint32_t num_common, uint32_t num_channel, uint32_t caps_offset)
{
    memcpy(body, captured_client_link + LINK_HEADER_SIZE, 26);
    put_u32(body + 6, num_common);
    put_u32(body + 10, num_channel);
    put_u32(body + 14, caps_offset);
}

static void expect_mess_invalid(const uint8_t *body, size_t size)
{
    LinkMess mess;
    memset(&mess, 0x5a, sizeof(mess));
    g_assert_cmpint(link_parse_mess(body, size, &mess), ==, SPICE_LINK_ERR_INVALID_DATA);
    g_assert_null(mess.common_caps);   /* zeroed: nothing to free, nothing stale */
    g_assert_null(mess.channel_caps);
    g_assert_cmpuint(mess.num_common_caps, ==, 0);
    link_mess_clear(&mess);
}

static void test_mess_errors(void)
{
    uint8_t body[26];

    /* Truncated anywhere inside the fixed part or the caps. */
    make_mess(body, 1, 1, 18);
    for (size_t size = 0; size < sizeof(body); size++) {
        expect_mess_invalid(body, size);
    }
    expect_mess_invalid(NULL, 0);

    /* Counts whose 4 * (a + b) wraps in 32 bits (0x40000000 * 4 == 0, 0x80000001 + 0x7fffffff == 0). */
    make_mess(body, 0x40000000, 0, 18);
    expect_mess_invalid(body, sizeof(body));
    make_mess(body, 0x80000001, 0x7fffffff, 18);
    expect_mess_invalid(body, sizeof(body));
    make_mess(body, 0xffffffff, 1, 18);
    expect_mess_invalid(body, sizeof(body));
    make_mess(body, 1, 0xffffffff, 18);
    expect_mess_invalid(body, sizeof(body));
    make_mess(body, 2, 1, 18);   /* one word more than there is */
    expect_mess_invalid(body, sizeof(body));

    /* caps_offset inside the fixed part, past the end, or wrapping. */
    make_mess(body, 1, 1, 17);
    expect_mess_invalid(body, sizeof(body));
    make_mess(body, 1, 1, 0);
    expect_mess_invalid(body, sizeof(body));
    make_mess(body, 1, 1, 19);
    expect_mess_invalid(body, sizeof(body));
    make_mess(body, 1, 1, 27);
    expect_mess_invalid(body, sizeof(body));
    make_mess(body, 1, 1, 0xfffffffc);
    expect_mess_invalid(body, sizeof(body));

    /* Valid variants: caps later in the body with padding, no caps with any offset. */
    uint8_t padded[30];
    make_mess(padded, 1, 1, 22);
    memcpy(padded + 22, captured_client_link + LINK_HEADER_SIZE + 18, 8);
    LinkMess mess;
    g_assert_cmpint(link_parse_mess(padded, sizeof(padded), &mess), ==, SPICE_LINK_ERR_OK);
    g_assert_cmphex(mess.common_caps[0], ==, 0x0d);
    g_assert_cmphex(mess.channel_caps[0], ==, 0x0f);
    link_mess_clear(&mess);
    /* A body longer than any header may announce. */
    uint8_t *long_body = g_malloc0(LINK_MAX_BODY_SIZE + 1);
    make_mess(long_body, 1, 1, 18);
    expect_mess_invalid(long_body, LINK_MAX_BODY_SIZE + 1);
    LinkReply long_reply;
    g_assert_cmpint(link_parse_reply(long_body, LINK_MAX_BODY_SIZE + 1, &long_reply), ==,
                    SPICE_LINK_ERR_INVALID_DATA);
    g_assert_cmpint(link_parse_mess(long_body, LINK_MAX_BODY_SIZE, &mess), ==, SPICE_LINK_ERR_OK);
    link_mess_clear(&mess);
    g_free(long_body);

    make_mess(body, 0, 0, 0xffffffff);
    g_assert_cmpint(link_parse_mess(body, 18, &mess), ==, SPICE_LINK_ERR_OK);
    g_assert_null(mess.common_caps);
    g_assert_null(mess.channel_caps);
    link_mess_clear(&mess);
}

static void test_reply_errors(void)
{
    uint8_t body[186];
    memcpy(body, captured_server_reply + LINK_HEADER_SIZE, sizeof(body));
    LinkReply reply;
    for (size_t size = 0; size < sizeof(body); size++) {
        g_assert_cmpint(link_parse_reply(body, size, &reply), ==, SPICE_LINK_ERR_INVALID_DATA);
        g_assert_null(reply.common_caps);
    }
    put_u32(body + 166, 0x40000000);   /* num_common_caps */
    g_assert_cmpint(link_parse_reply(body, sizeof(body), &reply), ==, SPICE_LINK_ERR_INVALID_DATA);
    put_u32(body + 166, 1);
    put_u32(body + 174, 177);          /* caps_offset inside the fixed part */
    g_assert_cmpint(link_parse_reply(body, sizeof(body), &reply), ==, SPICE_LINK_ERR_INVALID_DATA);
    put_u32(body + 174, 179);
    g_assert_cmpint(link_parse_reply(body, sizeof(body), &reply), ==, SPICE_LINK_ERR_INVALID_DATA);
    g_assert_null(reply.common_caps);
}

static void test_caps_bits(void)
{
    uint32_t words[2] = { 0, 0 };
    link_caps_set(words, 0);
    link_caps_set(words, 31);
    link_caps_set(words, 32);
    g_assert_cmphex(words[0], ==, 0x80000001);
    g_assert_cmphex(words[1], ==, 0x1);
    g_assert_true(link_caps_has(words, 2, 31));
    g_assert_true(link_caps_has(words, 2, 32));
    g_assert_false(link_caps_has(words, 1, 32));
    g_assert_false(link_caps_has(words, 2, 33));
    g_assert_false(link_caps_has(words, 2, 0xffffffff));
    g_assert_false(link_caps_has(NULL, 0, 0));
    g_assert_false(link_caps_has(NULL, 5, 0));
}

static void test_auth_mechanism_and_result(void)
{
    WireWriter w;
    wire_writer_init(&w);
    link_write_auth_mechanism(&w, SPICE_COMMON_CAP_AUTH_SPICE);
    static const uint8_t captured_auth[] = { 0x01, 0x00, 0x00, 0x00 };   /* wire.log */
    g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w), captured_auth, 4);
    g_assert_cmpuint(link_parse_auth_mechanism(captured_auth), ==, SPICE_COMMON_CAP_AUTH_SPICE);
    static const uint8_t sasl[] = { 0x02, 0x00, 0x00, 0x00 };
    g_assert_cmpuint(link_parse_auth_mechanism(sasl), ==, SPICE_COMMON_CAP_AUTH_SASL);

    wire_writer_reset(&w);
    link_write_result(&w, SPICE_LINK_ERR_PERMISSION_DENIED);
    static const uint8_t denied[] = { 0x07, 0x00, 0x00, 0x00 };
    g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w), denied, 4);
    g_assert_cmpuint(link_parse_result(denied), ==, SPICE_LINK_ERR_PERMISSION_DENIED);
    static const uint8_t ok[] = { 0, 0, 0, 0 };
    g_assert_cmpuint(link_parse_result(ok), ==, SPICE_LINK_ERR_OK);
    wire_writer_finish(&w);
}

static void test_error_names(void)
{
    static const char *const names[] = {
        "SPICE_LINK_ERR_OK", "SPICE_LINK_ERR_ERROR", "SPICE_LINK_ERR_INVALID_MAGIC",
        "SPICE_LINK_ERR_INVALID_DATA", "SPICE_LINK_ERR_VERSION_MISMATCH",
        "SPICE_LINK_ERR_NEED_SECURED", "SPICE_LINK_ERR_NEED_UNSECURED",
        "SPICE_LINK_ERR_PERMISSION_DENIED", "SPICE_LINK_ERR_BAD_CONNECTION_ID",
        "SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE",
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(names) == SPICE_LINK_ERR_ENUM_END);
    for (int i = 0; i < SPICE_LINK_ERR_ENUM_END; i++) {
        g_assert_cmpstr(link_error_to_string((SpiceLinkErr)i), ==, names[i]);
    }
    g_assert_cmpstr(link_error_to_string(SPICE_LINK_ERR_ENUM_END), ==, "unknown link error");
    g_assert_cmpstr(link_error_to_string((SpiceLinkErr)1000), ==, "unknown link error");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/link/capture/parse-client-link", test_parse_captured_client_link);
    g_test_add_func("/link/capture/write-mess", test_write_mess_matches_capture);
    g_test_add_func("/link/capture/write-reply", test_write_reply_matches_capture);
    g_test_add_func("/link/capture/parse-server-reply", test_parse_captured_server_reply);
    g_test_add_func("/link/error-reply-layout", test_error_reply_layout);
    g_test_add_func("/link/round-trip-many-caps", test_round_trip_many_caps);
    g_test_add_func("/link/header-errors", test_header_errors);
    g_test_add_func("/link/mess-errors", test_mess_errors);
    g_test_add_func("/link/reply-errors", test_reply_errors);
    g_test_add_func("/link/caps-bits", test_caps_bits);
    g_test_add_func("/link/auth-mechanism-and-result", test_auth_mechanism_and_result);
    g_test_add_func("/link/error-names", test_error_names);
    return g_test_run();
}
