/* ticket: the RSA-1024 key and OAEP-encrypted password of SPICE ticket authentication. */
#include "protocol/ticket.h"

#include <limits.h>
#include <string.h>

#include <glib.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

struct LinkTicketKey {
    EVP_PKEY *pkey;
};

/*
 * OpenSSL keeps a per-thread error queue that TLS code in the same thread consults
 * (SSL_get_error), so every failure here empties it before returning.
 */
static void drop_openssl_errors(void)
{
    ERR_clear_error();
}

LinkTicketKey *link_ticket_key_new(void)
{
    EVP_PKEY *pkey = NULL;
    BIGNUM *e = BN_new();
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (!e || !ctx || !BN_set_word(e, RSA_F4) || EVP_PKEY_keygen_init(ctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, SPICE_TICKET_KEY_PAIR_LENGTH) <= 0 ||
        EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) <= 0 || EVP_PKEY_generate(ctx, &pkey) <= 0) {
        char reason[256];
        ERR_error_string_n(ERR_peek_last_error(), reason, sizeof(reason));
        g_warning("link ticket: cannot generate the RSA-%d ticket key (%s); an OpenSSL in FIPS "
                  "mode refuses 1024-bit RSA: use SASL authentication or the default provider",
                  SPICE_TICKET_KEY_PAIR_LENGTH, reason);
        drop_openssl_errors();
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    BN_free(e);
    if (!pkey) {
        return NULL;
    }
    LinkTicketKey *key = g_new0(LinkTicketKey, 1);
    key->pkey = pkey;
    return key;
}

void link_ticket_key_free(LinkTicketKey *key)
{
    if (!key) {
        return;
    }
    EVP_PKEY_free(key->pkey);
    g_free(key);
}

bool link_ticket_key_public_der(const LinkTicketKey *key, uint8_t out[SPICE_TICKET_PUBKEY_BYTES])
{
    /* Measure first: i2d must never write past the caller's 162 bytes. */
    int len = i2d_PUBKEY(key->pkey, NULL);
    if (len != SPICE_TICKET_PUBKEY_BYTES) {
        drop_openssl_errors();
        memset(out, 0, SPICE_TICKET_PUBKEY_BYTES);
        return false;
    }
    uint8_t *p = out;
    if (i2d_PUBKEY(key->pkey, &p) != SPICE_TICKET_PUBKEY_BYTES) {
        drop_openssl_errors();
        memset(out, 0, SPICE_TICKET_PUBKEY_BYTES);
        return false;
    }
    return true;
}

/* RSA-OAEP with SHA-1 and MGF1-SHA-1, empty label: what spice-gtk and upstream use. */
static bool set_oaep_sha1(EVP_PKEY_CTX *ctx)
{
    return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
           EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha1()) > 0 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha1()) > 0;
}

bool link_ticket_decrypt(const LinkTicketKey *key, const uint8_t in[LINK_TICKET_CIPHERTEXT_BYTES],
                         char *out, size_t out_size)
{
    if (out_size > 0) {
        out[0] = '\0';
    }
    /* OAEP plaintext is always shorter than the modulus, so 128 bytes always suffice. */
    uint8_t plain[LINK_TICKET_CIPHERTEXT_BYTES];
    size_t plain_len = sizeof(plain);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
    bool ok = ctx && EVP_PKEY_decrypt_init(ctx) > 0 && set_oaep_sha1(ctx) &&
              EVP_PKEY_decrypt(ctx, plain, &plain_len, in, LINK_TICKET_CIPHERTEXT_BYTES) > 0 &&
              plain_len <= sizeof(plain);
    EVP_PKEY_CTX_free(ctx);
    if (!ok) {
        drop_openssl_errors();
        OPENSSL_cleanse(plain, sizeof(plain));
        return false;
    }
    /* The client's NUL is in the plaintext; a missing one is tolerated, an embedded one ends it. */
    size_t len = strnlen((const char *)plain, plain_len);
    if (len > SPICE_MAX_PASSWORD_LENGTH || len >= out_size) {
        OPENSSL_cleanse(plain, sizeof(plain));
        return false;
    }
    memcpy(out, plain, len);
    out[len] = '\0';
    OPENSSL_cleanse(plain, sizeof(plain));
    return true;
}

bool link_ticket_encrypt(const uint8_t *pubkey_der, size_t der_len, const char *password,
                         uint8_t out[LINK_TICKET_CIPHERTEXT_BYTES])
{
    memset(out, 0, LINK_TICKET_CIPHERTEXT_BYTES);
    size_t len = strlen(password);
    if (len > SPICE_MAX_PASSWORD_LENGTH || pubkey_der == NULL || der_len > LONG_MAX) {
        return false;
    }
    const uint8_t *p = pubkey_der;
    EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, (long)der_len);
    if (!pkey || !EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_get_bits(pkey) != SPICE_TICKET_KEY_PAIR_LENGTH) {
        drop_openssl_errors();
        EVP_PKEY_free(pkey);
        return false;
    }
    size_t out_len = LINK_TICKET_CIPHERTEXT_BYTES;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    bool ok = ctx && EVP_PKEY_encrypt_init(ctx) > 0 && set_oaep_sha1(ctx) &&
              EVP_PKEY_encrypt(ctx, out, &out_len, (const uint8_t *)password, len + 1) > 0 &&
              out_len == LINK_TICKET_CIPHERTEXT_BYTES;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    if (!ok) {
        drop_openssl_errors();
        memset(out, 0, LINK_TICKET_CIPHERTEXT_BYTES);
    }
    return ok;
}
