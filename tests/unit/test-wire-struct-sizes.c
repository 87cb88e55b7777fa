/* test-wire-struct-sizes: the spice/protocol.h wire structs protocol/ relies on have their wire sizes. */
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <spice/protocol.h>

#include "protocol/base-messages.h"
#include "protocol/framing.h"
#include "protocol/link.h"
#include "protocol/ticket.h"

/* x86-64 sizes from the team's reference (struct_sizes.txt, measured against upstream). */
typedef struct {
    const char *name;
    size_t actual;
    size_t expected;
} StructSize;

#define ENTRY(type, expected) { #type, sizeof(type), expected }
static const StructSize sizes[] = {
    ENTRY(SpiceLinkHeader, 16),
    ENTRY(SpiceLinkMess, 18),
    ENTRY(SpiceLinkReply, 178),
    ENTRY(SpiceLinkEncryptedTicket, 128),
    ENTRY(SpiceLinkAuthMechanism, 4),
    ENTRY(SpiceDataHeader, 18),
    ENTRY(SpiceMiniDataHeader, 6),
    /* Not in struct_sizes.txt; sizes from the packed definitions (u16 + u32, and u16 + []). */
    ENTRY(SpiceSubMessage, 6),
    ENTRY(SpiceSubMessageList, 2),
};

static void test_sizes(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
        g_test_message("%s: %zu", sizes[i].name, sizes[i].actual);
        g_assert_cmpuint(sizes[i].actual, ==, sizes[i].expected);
    }
}

/* Our constants (what parsers and builders use) agree with the structs. */
static void test_constants(void)
{
    g_assert_cmpuint(LINK_HEADER_SIZE, ==, sizeof(SpiceLinkHeader));
    g_assert_cmpuint(LINK_MESS_SIZE, ==, sizeof(SpiceLinkMess));
    g_assert_cmpuint(LINK_REPLY_SIZE, ==, sizeof(SpiceLinkReply));
    g_assert_cmpuint(LINK_TICKET_SIZE, ==, sizeof(SpiceLinkEncryptedTicket));
    g_assert_cmpuint(LINK_TICKET_CIPHERTEXT_BYTES, ==, sizeof(SpiceLinkEncryptedTicket));
    g_assert_cmpuint(LINK_AUTH_MECHANISM_SIZE, ==, sizeof(SpiceLinkAuthMechanism));
    g_assert_cmpuint(FRAMING_FULL_HEADER_SIZE, ==, sizeof(SpiceDataHeader));
    g_assert_cmpuint(FRAMING_MINI_HEADER_SIZE, ==, sizeof(SpiceMiniDataHeader));
    g_assert_cmpuint(SPICE_TICKET_PUBKEY_BYTES, ==, 162);
    /* Field offsets the link parsers hard-code. */
    g_assert_cmpuint(G_STRUCT_OFFSET(SpiceLinkMess, num_common_caps), ==, 6);
    g_assert_cmpuint(G_STRUCT_OFFSET(SpiceLinkMess, caps_offset), ==, 14);
    g_assert_cmpuint(G_STRUCT_OFFSET(SpiceLinkReply, num_common_caps), ==, 166);
    g_assert_cmpuint(G_STRUCT_OFFSET(SpiceLinkReply, caps_offset), ==, 174);
    g_assert_cmpuint(G_STRUCT_OFFSET(SpiceDataHeader, sub_list), ==, 14);
}

/*
 * When the reference file is reachable (SPICE_SUITE_STRUCT_SIZES, or ../shared beside the checkout),
 * every struct we check must have the same size there, so a wrong table above cannot pass.
 */
static void test_against_reference_file(void)
{
    /* The team's reference folder stands beside the checkout (../shared), in CI too. */
    const char *source_dir = g_getenv("SPICE_SUITE_SOURCE_DIR");
    g_autofree char *path = g_strdup(g_getenv("SPICE_SUITE_STRUCT_SIZES"));
    if (!path && source_dir) {
        path = g_build_filename(source_dir, "..", "shared", "reference", "struct_sizes.txt", NULL);
    }
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) {
        g_test_skip("struct_sizes.txt not available");
        return;
    }
    unsigned found = 0;
    char name[128];
    unsigned long size;
    while (fscanf(f, "%127s %lu", name, &size) == 2) {
        for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
            if (strcmp(name, sizes[i].name) == 0) {
                g_test_message("reference %s: %lu", name, size);
                g_assert_cmpuint(sizes[i].actual, ==, size);
                found++;
            }
        }
    }
    fclose(f);
    g_assert_cmpuint(found, >=, 7);   /* the link and header structs are all listed there */
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/wire-struct-sizes/sizes", test_sizes);
    g_test_add_func("/wire-struct-sizes/constants", test_constants);
    g_test_add_func("/wire-struct-sizes/reference-file", test_against_reference_file);
    return g_test_run();
}
