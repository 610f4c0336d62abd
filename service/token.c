/*
 * token: signing and strict verification of queue tokens (see token.h).
 *
 * The parser accepts exactly one spelling of each token, "v1.<c>.<u>.<s>.<sig>":
 * ids are decimal without sign, leading zero or overflow and never 0, and the
 * signature is the canonical 43-character base64url text. Any other spelling
 * is refused, so a token has one text and one meaning. The signature is
 * compared with CRYPTO_memcmp so its check takes the same time for any input.
 */
#include "token.h"

#include "bo_error.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdio.h>
#include <string.h>

#define TOKEN_VERSION "v1"
#define TOKEN_MAC_LEN 32
/* Unpadded base64url of 32 bytes. */
#define TOKEN_SIG_LEN 43
#define TOKEN_PARTS   5

static const char token_b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* token_b64url_encode writes len bytes as unpadded base64url plus a NUL into out. */
static void token_b64url_encode(const unsigned char *in, size_t len, char *out)
{
    size_t o = 0;
    size_t i = 0;

    for (; i + 3 <= len; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = token_b64url[(v >> 18) & 63];
        out[o++] = token_b64url[(v >> 12) & 63];
        out[o++] = token_b64url[(v >> 6) & 63];
        out[o++] = token_b64url[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = token_b64url[(v >> 18) & 63];
        out[o++] = token_b64url[(v >> 12) & 63];
    } else if (len - i == 2) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
        out[o++] = token_b64url[(v >> 18) & 63];
        out[o++] = token_b64url[(v >> 12) & 63];
        out[o++] = token_b64url[(v >> 6) & 63];
    }
    out[o] = '\0';
}

/* token_mac writes the base64url HMAC-SHA256 of msg[0..len) under secret into sig. */
static int token_mac(const char *secret, const char *msg, size_t len, char sig[TOKEN_SIG_LEN + 1])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;

    if (HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, len, mac,
             &maclen) == NULL ||
        maclen != TOKEN_MAC_LEN) {
        return BO_E_INTERNAL;
    }
    token_b64url_encode(mac, maclen, sig);
    OPENSSL_cleanse(mac, sizeof(mac));
    return BO_OK;
}

/* token_parse_id reads a canonical decimal id (1..UINT64_MAX) from s[0..len). */
static int token_parse_id(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0 || len > 20 || s[0] == '0') {
        return BO_E_TOKEN_INVALID;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9 || v > (UINT64_MAX - d) / 10) {
            return BO_E_TOKEN_INVALID;
        }
        v = v * 10 + d;
    }
    *out = v;
    return BO_OK;
}

int token_sign(const char *secret, uint64_t concert_id, uint64_t user_id, uint64_t sequence,
               char *out, size_t outlen)
{
    char text[TOKEN_TEXT_MAX];
    char sig[TOKEN_SIG_LEN + 1];
    int n;
    int rc;

    if (secret == NULL || secret[0] == '\0') {
        return BO_E_INTERNAL; /* a configuration error, never the caller's input */
    }
    if (out == NULL || concert_id == 0 || user_id == 0 || sequence == 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    n = snprintf(text, sizeof(text), TOKEN_VERSION ".%llu.%llu.%llu",
                 (unsigned long long)concert_id, (unsigned long long)user_id,
                 (unsigned long long)sequence);
    if (n < 0 || (size_t)n + 1 + TOKEN_SIG_LEN + 1 > sizeof(text) ||
        (size_t)n + 1 + TOKEN_SIG_LEN + 1 > outlen) {
        return BO_E_INVALID_ARGUMENT;
    }
    rc = token_mac(secret, text, (size_t)n, sig);
    if (rc != BO_OK) {
        return rc;
    }
    text[n] = '.';
    memcpy(text + n + 1, sig, TOKEN_SIG_LEN + 1);
    memcpy(out, text, (size_t)n + 1 + TOKEN_SIG_LEN + 1);
    return BO_OK;
}

int token_verify(const char *secret, const char *text, uint64_t *concert_id, uint64_t *user_id,
                 uint64_t *sequence)
{
    const char *part[TOKEN_PARTS];
    size_t plen[TOKEN_PARTS];
    size_t len;
    size_t np = 0;
    uint64_t ids[3];
    char sig[TOKEN_SIG_LEN + 1];
    int rc;

    if (text == NULL || text[0] == '\0') {
        return BO_E_TOKEN_MISSING;
    }
    if (secret == NULL || secret[0] == '\0') {
        return BO_E_INTERNAL;
    }
    len = strnlen(text, TOKEN_TEXT_MAX);
    if (len >= TOKEN_TEXT_MAX) {
        return BO_E_TOKEN_INVALID;
    }

    part[0] = text;
    for (size_t i = 0; i <= len; i++) {
        if (text[i] == '.' || text[i] == '\0') {
            plen[np] = (size_t)(text + i - part[np]);
            np++;
            if (text[i] == '\0') {
                break;
            }
            if (np == TOKEN_PARTS) {
                return BO_E_TOKEN_INVALID; /* a sixth part */
            }
            part[np] = text + i + 1;
        }
    }
    if (np != TOKEN_PARTS || plen[0] != strlen(TOKEN_VERSION) ||
        memcmp(part[0], TOKEN_VERSION, plen[0]) != 0 || plen[4] != TOKEN_SIG_LEN) {
        return BO_E_TOKEN_INVALID;
    }
    for (int i = 0; i < 3; i++) {
        rc = token_parse_id(part[i + 1], plen[i + 1], &ids[i]);
        if (rc != BO_OK) {
            return rc;
        }
    }

    rc = token_mac(secret, text, (size_t)(part[4] - 1 - text), sig);
    if (rc != BO_OK) {
        return rc;
    }
    if (CRYPTO_memcmp(sig, part[4], TOKEN_SIG_LEN) != 0) {
        return BO_E_TOKEN_INVALID;
    }
    if (concert_id != NULL) {
        *concert_id = ids[0];
    }
    if (user_id != NULL) {
        *user_id = ids[1];
    }
    if (sequence != NULL) {
        *sequence = ids[2];
    }
    return BO_OK;
}

void token_id(uint64_t concert_id, uint64_t sequence, char *out, size_t outlen)
{
    if (out == NULL || outlen == 0) {
        return;
    }
    snprintf(out, outlen, "%llu-%llu", (unsigned long long)concert_id,
             (unsigned long long)sequence);
}
