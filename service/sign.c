/*
 * sign: HMAC-SHA256 base64url signatures and strict dotted-text parsing (see sign.h).
 *
 * The only state is libsodium's start-up, done once, and each thread's memory of the keys it
 * signed with last: every function may be called from any number of threads at once. The
 * HMAC is libsodium's. Keying it hashes the key's two pads, half the work of signing a short
 * text, so a thread keeps the keyed state of its last SIGN_KEYS_KEPT keys (a plain struct) and
 * copies it: ~8 k instructions a signature, where OpenSSL 3's one-shot HMAC() (which fetches
 * its algorithms anew on every call) costs 20 k and libsodium keyed every time 15 k. The bytes
 * are the same.
 */
#include "sign.h"

#include "bo_error.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <sodium.h>

#include <string.h>

#define SIGN_MAC_LEN 32

static const char sign_b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void sign_b64url_encode(const unsigned char *in, size_t len, char *out)
{
    size_t o = 0;
    size_t i = 0;

    for (; i + 3 <= len; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = sign_b64url[(v >> 18) & 63];
        out[o++] = sign_b64url[(v >> 12) & 63];
        out[o++] = sign_b64url[(v >> 6) & 63];
        out[o++] = sign_b64url[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = sign_b64url[(v >> 18) & 63];
        out[o++] = sign_b64url[(v >> 12) & 63];
    } else if (len - i == 2) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
        out[o++] = sign_b64url[(v >> 18) & 63];
        out[o++] = sign_b64url[(v >> 12) & 63];
        out[o++] = sign_b64url[(v >> 6) & 63];
    }
    out[o] = '\0';
}

/* sign_b64url_value returns the 6-bit value of base64url character c, or -1. */
static int sign_b64url_value(char c)
{
    const char *p = c == '\0' ? NULL : strchr(sign_b64url, c);
    return p == NULL ? -1 : (int)(p - sign_b64url);
}

int sign_b64url_check(const char *s, size_t len, size_t nbytes)
{
    /* Bits of the last character that carry no data: 6 * len - 8 * nbytes of them. */
    unsigned spare;
    int last = 0;

    if (s == NULL || len != SIGN_B64URL_LEN(nbytes)) {
        return BO_E_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < len; i++) {
        last = sign_b64url_value(s[i]);
        if (last < 0) {
            return BO_E_INVALID_ARGUMENT;
        }
    }
    spare = (unsigned)(6 * len - 8 * nbytes);
    if (len > 0 && ((unsigned)last & ((1u << spare) - 1u)) != 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    return BO_OK;
}

/* libsodium wants sodium_init before its first use; it is idempotent and thread-safe, and
 * once is enough. */
static pthread_once_t sign_sodium_once = PTHREAD_ONCE_INIT;
static int sign_sodium_rc;

static void sign_sodium_init(void)
{
    sign_sodium_rc = sodium_init() < 0 ? BO_E_INTERNAL : BO_OK;
}

/* Keys whose keyed state a thread keeps (a service signs with its token and session secrets)
 * and the longest key kept (longer ones are keyed on every call). */
#define SIGN_KEYS_KEPT    2
#define SIGN_KEY_KEPT_MAX 256

/* One kept key: its text and libsodium's HMAC state keyed with it, before any message. */
struct sign_keyed {
    size_t len; /* 0: empty slot */
    char key[SIGN_KEY_KEPT_MAX];
    crypto_auth_hmacsha256_state st;
};

static _Thread_local struct sign_keyed sign_kept[SIGN_KEYS_KEPT];
static _Thread_local unsigned sign_kept_next;

/* sign_keyed_state copies into *st the HMAC state keyed with key[0..len), from this thread's
 * kept states when it has one (compared in constant time), else keying it anew and keeping it
 * in place of the oldest. */
static int sign_keyed_state(const char *key, size_t len, crypto_auth_hmacsha256_state *st)
{
    struct sign_keyed *k;

    for (size_t i = 0; i < SIGN_KEYS_KEPT; i++) {
        k = &sign_kept[i];
        if (k->len == len && sodium_memcmp(k->key, key, len) == 0) {
            *st = k->st;
            return BO_OK;
        }
    }
    if (crypto_auth_hmacsha256_init(st, (const unsigned char *)key, len) != 0) {
        return BO_E_INTERNAL;
    }
    if (len < SIGN_KEY_KEPT_MAX) {
        k = &sign_kept[sign_kept_next++ % SIGN_KEYS_KEPT];
        memcpy(k->key, key, len);
        k->len = len;
        k->st = *st;
    }
    return BO_OK;
}

int sign_mac(const char *key, const char *msg, size_t len, char sig[SIGN_MAC_TEXT_LEN + 1])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    int rc = BO_E_INTERNAL;

    _Static_assert(crypto_auth_hmacsha256_BYTES == SIGN_MAC_LEN, "HMAC-SHA256 is 32 bytes");
    if (pthread_once(&sign_sodium_once, sign_sodium_init) != 0 || sign_sodium_rc != BO_OK) {
        return BO_E_INTERNAL;
    }
    if (key != NULL && key[0] != '\0' && sign_keyed_state(key, strlen(key), &st) == BO_OK &&
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, len) == 0 &&
        crypto_auth_hmacsha256_final(&st, mac) == 0) {
        sign_b64url_encode(mac, sizeof(mac), sig);
        rc = BO_OK;
    }
    sodium_memzero(&st, sizeof(st));
    sodium_memzero(mac, sizeof(mac));
    return rc;
}

int sign_verify(const char *key, const char *msg, size_t len, const char *sig)
{
    char want[SIGN_MAC_TEXT_LEN + 1];
    int rc = sign_mac(key, msg, len, want);

    if (rc != BO_OK) {
        return rc;
    }
    return CRYPTO_memcmp(want, sig, SIGN_MAC_TEXT_LEN) == 0 ? BO_OK : BO_E_INVALID_ARGUMENT;
}

int sign_split(const char *text, size_t len, size_t n, const char **part, size_t *plen)
{
    size_t np = 0;
    const char *start = text;

    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == '.') {
            if (np == n) {
                return BO_E_INVALID_ARGUMENT; /* one part too many */
            }
            part[np] = start;
            plen[np] = (size_t)(text + i - start);
            np++;
            start = text + i + 1;
        }
    }
    return np == n ? BO_OK : BO_E_INVALID_ARGUMENT;
}

int sign_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0 || len > 20 || s[0] == '0') {
        return BO_E_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9 || v > (UINT64_MAX - d) / 10) {
            return BO_E_INVALID_ARGUMENT;
        }
        v = v * 10 + d;
    }
    if (v > max) {
        return BO_E_INVALID_ARGUMENT;
    }
    *out = v;
    return BO_OK;
}
