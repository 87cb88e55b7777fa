/* ticket: the RSA-1024 key and OAEP-encrypted password of SPICE ticket authentication. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <spice/protocol.h>

/*
 * The server makes a fresh key per link (link_ticket_key_new), sends its DER public key in the
 * LinkReply, and decrypts the client's 128-byte SpiceLinkEncryptedTicket with it. Padding is
 * RSA-OAEP with SHA-1, MGF1-SHA-1 and an empty label (what spice-gtk sends). The client encrypts
 * strlen(password) + 1 bytes (the NUL is part of the plaintext).
 *
 * Thread-safe: no global state; a key may be used from one thread at a time.
 */

#define LINK_TICKET_CIPHERTEXT_BYTES (SPICE_TICKET_KEY_PAIR_LENGTH / 8)   /* 128 */

typedef struct LinkTicketKey LinkTicketKey;

/* A fresh RSA-1024 key (e = 65537). NULL (after one log line) if OpenSSL cannot make one,
 * e.g. a FIPS provider that refuses 1024-bit RSA. Free with link_ticket_key_free. */
LinkTicketKey *link_ticket_key_new(void);
/* Accepts NULL. */
void link_ticket_key_free(LinkTicketKey *key);

/*
 * Writes the DER SubjectPublicKeyInfo (exactly SPICE_TICKET_PUBKEY_BYTES = 162 bytes, starting
 * 30 81 9f 30 0d ...). Returns false if the encoding is not exactly that size.
 */
bool link_ticket_key_public_der(const LinkTicketKey *key, uint8_t out[SPICE_TICKET_PUBKEY_BYTES]);

/*
 * Server side: decrypts @in into @out as a NUL-terminated string. Returns false (with @out set to
 * "" when out_size > 0) when the ciphertext does not decrypt, the password is longer than
 * SPICE_MAX_PASSWORD_LENGTH, or it does not fit @out (size it SPICE_MAX_PASSWORD_LENGTH + 1).
 * A plaintext without a trailing NUL is accepted (terminated here); one with an embedded NUL
 * ends at it (strcmp semantics, as upstream).
 */
bool link_ticket_decrypt(const LinkTicketKey *key, const uint8_t in[LINK_TICKET_CIPHERTEXT_BYTES],
                         char *out, size_t out_size);

/*
 * Client side: encrypts strlen(@password) + 1 bytes with the server's DER public key. Returns
 * false if the key does not parse, is not RSA-1024, or the password is longer than
 * SPICE_MAX_PASSWORD_LENGTH.
 */
bool link_ticket_encrypt(const uint8_t *pubkey_der, size_t der_len, const char *password,
                         uint8_t out[LINK_TICKET_CIPHERTEXT_BYTES]);
