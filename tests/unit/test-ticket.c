/* test-ticket: RSA-1024 key, DER public key and OAEP ticket round trips of protocol/ticket.c. */
#include <string.h>

#include <glib.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <spice/protocol.h>

#include "protocol/ticket.h"

/* The DER SubjectPublicKeyInfo prefix of every RSA-1024 key (upstream's, captures/wire.log). */
static const uint8_t der_prefix[] = {
    0x30, 0x81, 0x9f, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
    0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x03, 0x81, 0x8d, 0x00,
};
/* ... and its tail: public exponent 65537. */
static const uint8_t der_e_65537[] = { 0x02, 0x03, 0x01, 0x00, 0x01 };

/* Upstream spice-server 0.15.1's key from captures/wire.log. */
static const char captured_pubkey_hex[] =
    "30819f300d06092a864886f70d010101050003818d0030818902818100b445902ee3d2c0ce0b3e252d66ba7912"
    "bd2d5f4a6fb14a02ef000aad2bc8735e4ff82117afb41b8f29d684876d9c1349e6fb92951ce8140972d81a1a0d"
    "119a35aa43d96502a93fea0058cde41c13134eb373e615465d9b4f4d22ced20324e759153cd952fefa309c0ab2"
    "59a8bac4d084ef8fd4051e52834e82c60fc1afdbeb4f0203010001";

static LinkTicketKey *shared_key;   /* key generation is slow-ish: one for most tests */
static uint8_t shared_der[SPICE_TICKET_PUBKEY_BYTES];

/* Encrypts arbitrary plaintext bytes with OAEP-SHA1 (to reach what link_ticket_encrypt refuses). */
static void raw_encrypt(const uint8_t *der, const uint8_t *plain, size_t len, uint8_t out[128])
{
    const uint8_t *p = der;
    EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, SPICE_TICKET_PUBKEY_BYTES);
    g_assert_nonnull(pkey);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    g_assert_nonnull(ctx);
    g_assert_cmpint(EVP_PKEY_encrypt_init(ctx), >, 0);
    g_assert_cmpint(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING), >, 0);
    g_assert_cmpint(EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha1()), >, 0);
    size_t out_len = 128;
    g_assert_cmpint(EVP_PKEY_encrypt(ctx, out, &out_len, plain, len), >, 0);
    g_assert_cmpuint(out_len, ==, 128);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pkey);
}

static void test_public_der_shape(void)
{
    g_assert_cmpmem(shared_der, sizeof(der_prefix), der_prefix, sizeof(der_prefix));
    g_assert_cmpmem(shared_der + SPICE_TICKET_PUBKEY_BYTES - 5, 5, der_e_65537, 5);
    /* A second key is a different key. */
    LinkTicketKey *other = link_ticket_key_new();
    g_assert_nonnull(other);
    uint8_t der[SPICE_TICKET_PUBKEY_BYTES];
    g_assert_true(link_ticket_key_public_der(other, der));
    g_assert_true(memcmp(der, shared_der, sizeof(der)) != 0);
    link_ticket_key_free(other);
    link_ticket_key_free(NULL);
}

static void test_round_trip(void)
{
    static const char *const passwords[] = {
        "", "a", "secret", "pässwörd with spaces",
        "123456789012345678901234567890123456789012345678901234567890",   /* 60: the limit */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(passwords); i++) {
        uint8_t ticket[LINK_TICKET_CIPHERTEXT_BYTES];
        g_assert_true(link_ticket_encrypt(shared_der, sizeof(shared_der), passwords[i], ticket));
        char out[SPICE_MAX_PASSWORD_LENGTH + 1];
        g_assert_true(link_ticket_decrypt(shared_key, ticket, out, sizeof(out)));
        g_assert_cmpstr(out, ==, passwords[i]);
    }
}

static void test_limits(void)
{
    uint8_t ticket[LINK_TICKET_CIPHERTEXT_BYTES];
    char pw61[62];
    memset(pw61, 'x', 61);
    pw61[61] = '\0';
    g_assert_false(link_ticket_encrypt(shared_der, sizeof(shared_der), pw61, ticket));

    /* A client that sends 61 characters anyway is refused by the server. */
    raw_encrypt(shared_der, (const uint8_t *)pw61, 62, ticket);
    char out[128];
    memset(out, 'z', sizeof(out));
    g_assert_false(link_ticket_decrypt(shared_key, ticket, out, sizeof(out)));
    g_assert_cmpstr(out, ==, "");

    /* 60 characters but an output buffer too small for them and the NUL. */
    raw_encrypt(shared_der, (const uint8_t *)pw61 + 1, 61, ticket);
    g_assert_false(link_ticket_decrypt(shared_key, ticket, out, 60));
    g_assert_true(link_ticket_decrypt(shared_key, ticket, out, 61));
    g_assert_cmpuint(strlen(out), ==, 60);

    /* No trailing NUL in the plaintext: still a string; an embedded NUL ends it. */
    raw_encrypt(shared_der, (const uint8_t *)"abc", 3, ticket);
    g_assert_true(link_ticket_decrypt(shared_key, ticket, out, sizeof(out)));
    g_assert_cmpstr(out, ==, "abc");
    raw_encrypt(shared_der, (const uint8_t *)"ab\0cd", 6, ticket);
    g_assert_true(link_ticket_decrypt(shared_key, ticket, out, sizeof(out)));
    g_assert_cmpstr(out, ==, "ab");
    /* An empty plaintext (0 bytes) is the empty password. */
    raw_encrypt(shared_der, (const uint8_t *)"", 0, ticket);
    g_assert_true(link_ticket_decrypt(shared_key, ticket, out, sizeof(out)));
    g_assert_cmpstr(out, ==, "");
    g_assert_false(link_ticket_decrypt(shared_key, ticket, out, 0));
}

static void test_wrong_key_and_garbage(void)
{
    uint8_t ticket[LINK_TICKET_CIPHERTEXT_BYTES];
    g_assert_true(link_ticket_encrypt(shared_der, sizeof(shared_der), "secret", ticket));
    LinkTicketKey *other = link_ticket_key_new();
    char out[SPICE_MAX_PASSWORD_LENGTH + 1];
    g_assert_false(link_ticket_decrypt(other, ticket, out, sizeof(out)));
    g_assert_cmpstr(out, ==, "");
    link_ticket_key_free(other);

    /* Flipping any one byte breaks OAEP. */
    for (size_t i = 0; i < sizeof(ticket); i += 17) {
        uint8_t bad[LINK_TICKET_CIPHERTEXT_BYTES];
        memcpy(bad, ticket, sizeof(bad));
        bad[i] ^= 0x01;
        g_assert_false(link_ticket_decrypt(shared_key, bad, out, sizeof(out)));
    }
    uint8_t zeros[LINK_TICKET_CIPHERTEXT_BYTES] = { 0 };
    g_assert_false(link_ticket_decrypt(shared_key, zeros, out, sizeof(out)));
    uint8_t ones[LINK_TICKET_CIPHERTEXT_BYTES];
    memset(ones, 0xff, sizeof(ones));   /* larger than the modulus */
    g_assert_false(link_ticket_decrypt(shared_key, ones, out, sizeof(out)));
    for (int i = 0; i < 20; i++) {
        uint8_t random_bytes[LINK_TICKET_CIPHERTEXT_BYTES];
        for (size_t j = 0; j < sizeof(random_bytes); j++) {
            random_bytes[j] = (uint8_t)g_test_rand_int();
        }
        g_assert_false(link_ticket_decrypt(shared_key, random_bytes, out, sizeof(out)));
    }
    /* Failures leave no OpenSSL errors behind for TLS code in the same thread. */
    g_assert_cmpuint(ERR_peek_error(), ==, 0);
}

static void test_encrypt_bad_keys(void)
{
    uint8_t ticket[LINK_TICKET_CIPHERTEXT_BYTES];
    uint8_t der[SPICE_TICKET_PUBKEY_BYTES];
    g_assert_false(link_ticket_encrypt(NULL, 0, "x", ticket));
    g_assert_false(link_ticket_encrypt(shared_der, 10, "x", ticket));   /* truncated */
    memcpy(der, shared_der, sizeof(der));
    der[0] = 0x31;
    g_assert_false(link_ticket_encrypt(der, sizeof(der), "x", ticket));
    memset(der, 0, sizeof(der));
    g_assert_false(link_ticket_encrypt(der, sizeof(der), "x", ticket));

    /* A 2048-bit key is not a SPICE ticket key. */
    EVP_PKEY *big = EVP_RSA_gen(2048);
    g_assert_nonnull(big);
    uint8_t *big_der = NULL;
    int big_len = i2d_PUBKEY(big, &big_der);
    g_assert_cmpint(big_len, >, 0);
    g_assert_false(link_ticket_encrypt(big_der, (size_t)big_len, "x", ticket));
    OPENSSL_free(big_der);
    EVP_PKEY_free(big);
    g_assert_cmpuint(ERR_peek_error(), ==, 0);
}

/* Upstream's key from the capture is accepted by our client side. */
static void test_encrypt_with_captured_key(void)
{
    uint8_t der[SPICE_TICKET_PUBKEY_BYTES];
    g_assert_cmpuint(strlen(captured_pubkey_hex), ==, 2 * sizeof(der));
    for (size_t i = 0; i < sizeof(der); i++) {
        der[i] = (uint8_t)((g_ascii_xdigit_value(captured_pubkey_hex[2 * i]) << 4) |
                           g_ascii_xdigit_value(captured_pubkey_hex[2 * i + 1]));
    }
    uint8_t ticket[LINK_TICKET_CIPHERTEXT_BYTES];
    g_assert_true(link_ticket_encrypt(der, sizeof(der), "secret", ticket));
    /* OAEP is randomised: two encryptions differ. */
    uint8_t ticket2[LINK_TICKET_CIPHERTEXT_BYTES];
    g_assert_true(link_ticket_encrypt(der, sizeof(der), "secret", ticket2));
    g_assert_true(memcmp(ticket, ticket2, sizeof(ticket)) != 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    shared_key = link_ticket_key_new();
    g_assert_nonnull(shared_key);
    g_assert_true(link_ticket_key_public_der(shared_key, shared_der));
    g_test_add_func("/ticket/public-der-shape", test_public_der_shape);
    g_test_add_func("/ticket/round-trip", test_round_trip);
    g_test_add_func("/ticket/limits", test_limits);
    g_test_add_func("/ticket/wrong-key-and-garbage", test_wrong_key_and_garbage);
    g_test_add_func("/ticket/encrypt-bad-keys", test_encrypt_bad_keys);
    g_test_add_func("/ticket/encrypt-with-captured-key", test_encrypt_with_captured_key);
    int ret = g_test_run();
    link_ticket_key_free(shared_key);
    return ret;
}
