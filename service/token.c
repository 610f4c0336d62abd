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
#include "sign.h"

#include <stdio.h>
#include <string.h>

#define TOKEN_VERSION "v1"
#define TOKEN_PARTS   5

int token_sign(const char *secret, uint64_t concert_id, uint64_t user_id, uint64_t sequence,
               char *out, size_t outlen)
{
    char text[TOKEN_TEXT_MAX];
    char sig[SIGN_MAC_TEXT_LEN + 1];
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
    if (n < 0 || (size_t)n + 1 + SIGN_MAC_TEXT_LEN + 1 > sizeof(text) ||
        (size_t)n + 1 + SIGN_MAC_TEXT_LEN + 1 > outlen) {
        return BO_E_INVALID_ARGUMENT;
    }
    rc = sign_mac(secret, text, (size_t)n, sig);
    if (rc != BO_OK) {
        return rc;
    }
    text[n] = '.';
    memcpy(text + n + 1, sig, SIGN_MAC_TEXT_LEN + 1);
    memcpy(out, text, (size_t)n + 1 + SIGN_MAC_TEXT_LEN + 1);
    return BO_OK;
}

int token_verify(const char *secret, const char *text, uint64_t *concert_id, uint64_t *user_id,
                 uint64_t *sequence)
{
    const char *part[TOKEN_PARTS];
    size_t plen[TOKEN_PARTS];
    size_t len;
    uint64_t ids[3];
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

    if (sign_split(text, len, TOKEN_PARTS, part, plen) != BO_OK ||
        plen[0] != strlen(TOKEN_VERSION) || memcmp(part[0], TOKEN_VERSION, plen[0]) != 0 ||
        plen[4] != SIGN_MAC_TEXT_LEN) {
        return BO_E_TOKEN_INVALID;
    }
    for (int i = 0; i < 3; i++) {
        if (sign_parse_u64(part[i + 1], plen[i + 1], UINT64_MAX, &ids[i]) != BO_OK) {
            return BO_E_TOKEN_INVALID;
        }
    }

    rc = sign_verify(secret, text, (size_t)(part[4] - 1 - text), part[4]);
    if (rc != BO_OK) {
        return rc == BO_E_INVALID_ARGUMENT ? BO_E_TOKEN_INVALID : rc;
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
