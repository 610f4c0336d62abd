/*
 * identity: verifying sessions and operator identity tokens (see identity.h).
 *
 * Sessions are ours: signed and parsed with sign.h, one spelling only (canonical decimals,
 * a 22-character canonical base64url id, a 43-character signature compared in constant time).
 *
 * Operator JWTs go through libjwt 1.10, which leaves these to us (read from its source):
 * - it verifies with the algorithm the token's header names, so an HS256 token "signed" with
 *   our ES256 public key's PEM text, or alg "none", would pass: we pin the configured alg
 *   after jwt_decode;
 * - given no key it resets the alg to "none" and checks no signature at all: we never call it
 *   without one (an empty HS256 secret refuses every operator token);
 * - it checks no claim, neither exp nor nbf nor sub: we check them all here;
 * - it copies the token to the heap and base64-decodes it on the stack (alloca): we refuse
 *   anything over IDENTITY_JWT_MAX bytes, or outside the base64url alphabet, or not three
 *   dot-separated non-empty parts, before it sees it; the signature part must be the one
 *   base64url spelling of a signature of the pinned alg.
 * libjwt keeps no global state in 1.10 (no allocator hooks; every jwt_decode makes its own
 * jwt_t and its own copy of the key), OpenSSL 3 is thread-safe, and jansson's one global, its
 * hash seed, is set on its first json_object(): identity_keys_open makes one, before the
 * service starts its threads. So many threads may verify with one struct identity_keys.
 */
#include "identity.h"

#include "bo_error.h"
#include "sign.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDENTITY_SESSION_VERSION "s1"
#define IDENTITY_SESSION_PARTS   5
#define IDENTITY_SID_BYTES       16
#define IDENTITY_SID_LEN         SIGN_B64URL_LEN(IDENTITY_SID_BYTES)
#define IDENTITY_JWT_PARTS       3
/* The largest exp or nbf (Unix seconds) whose milliseconds, leeway added, fit an int64_t. */
#define IDENTITY_TIME_MAX (INT64_MAX / 1000 - IDENTITY_LEEWAY_MAX)
/* The largest public key file read. */
#define IDENTITY_PEM_MAX 16384
/* Raw signature bytes of each pinned alg (HMAC-SHA256; P-256 r || s). */
#define IDENTITY_HS256_SIG_BYTES 32
#define IDENTITY_ES256_SIG_BYTES 64

struct identity_keys {
    char *session_secret;
    jwt_alg_t jwt_alg;      /* JWT_ALG_HS256 or JWT_ALG_ES256 */
    unsigned char *jwt_key; /* HS256 secret or ES256 PEM text; NULL = operator tokens refused */
    int jwt_key_len;
    int leeway_seconds;
};

_Static_assert(IDENTITY_SID_LEN < IDENTITY_SID_MAX, "a session id fits struct identity");

/* ---- keys ------------------------------------------------------------------------------ */

/* identity_err writes the printf-style sentence into err when there is room for one. */
__attribute__((format(printf, 3, 4))) static void identity_err(char *err, size_t errlen,
                                                               const char *fmt, ...);

static void identity_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* identity_pem_is_p256 tells whether pem[0..len) is a PEM public key on P-256. */
static int identity_pem_is_p256(const char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *pkey = bio == NULL ? NULL : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    char group[64];
    int ok = pkey != NULL && EVP_PKEY_is_a(pkey, "EC") &&
             EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                            NULL) == 1 &&
             strcmp(group, "prime256v1") == 0;

    EVP_PKEY_free(pkey);
    BIO_free(bio);
    return ok;
}

/* identity_pem_load reads the ES256 public key file path into k (its PEM text). */
static int identity_pem_load(struct identity_keys *k, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;
    int rc = BO_E_INVALID_ARGUMENT;

    if (f == NULL) {
        identity_err(err, errlen, "cannot read --jwt-public-key-file %s: %s", path,
                     strerror(errno));
        goto done;
    }
    buf = malloc(IDENTITY_PEM_MAX + 1);
    if (buf == NULL) {
        rc = BO_E_NOMEM;
        goto done;
    }
    n = fread(buf, 1, IDENTITY_PEM_MAX + 1, f);
    if (ferror(f)) {
        identity_err(err, errlen, "cannot read --jwt-public-key-file %s: %s", path,
                     strerror(errno));
        goto done;
    }
    if (n > IDENTITY_PEM_MAX || !identity_pem_is_p256(buf, n)) {
        identity_err(err, errlen,
                     "--jwt-public-key-file %s is not a PEM P-256 public key (as ES256 needs)",
                     path);
        goto done;
    }
    k->jwt_key = (unsigned char *)buf;
    k->jwt_key_len = (int)n;
    buf = NULL;
    rc = BO_OK;
done:
    free(buf);
    if (f != NULL) {
        fclose(f);
    }
    return rc;
}

/* identity_jwt_warm_up makes jansson pick its hash seed now, in one thread, before any
 * concurrent jwt_decode (see the top of this file). */
static void identity_jwt_warm_up(void)
{
    jwt_t *jwt = NULL;

    if (jwt_new(&jwt) == 0) {
        jwt_free(jwt);
    }
}

int identity_keys_open(const struct identity_config *cfg, struct identity_keys **out, char *err,
                       size_t errlen)
{
    struct identity_keys *k = NULL;
    const char *alg;
    int rc = BO_E_INVALID_ARGUMENT;

    if (cfg == NULL || out == NULL) {
        return BO_E_INVALID_ARGUMENT;
    }
    alg = cfg->jwt_alg == NULL || cfg->jwt_alg[0] == '\0' ? "HS256" : cfg->jwt_alg;
    if (cfg->session_secret == NULL || cfg->session_secret[0] == '\0') {
        identity_err(err, errlen,
                     "--token-secret (the key sessions are signed with) must not be empty");
        goto fail;
    }
    if (strcmp(alg, "HS256") != 0 && strcmp(alg, "ES256") != 0) {
        identity_err(err, errlen, "--jwt-alg must be HS256 or ES256");
        goto fail;
    }
    if (cfg->leeway_seconds < 0 || cfg->leeway_seconds > IDENTITY_LEEWAY_MAX) {
        identity_err(err, errlen, "--jwt-leeway-seconds must be 0..%d", IDENTITY_LEEWAY_MAX);
        goto fail;
    }
    k = calloc(1, sizeof(*k));
    if (k == NULL || (k->session_secret = strdup(cfg->session_secret)) == NULL) {
        rc = BO_E_NOMEM;
        goto fail;
    }
    k->leeway_seconds = cfg->leeway_seconds;
    if (strcmp(alg, "ES256") == 0) {
        k->jwt_alg = JWT_ALG_ES256;
        if (cfg->jwt_public_key_file == NULL || cfg->jwt_public_key_file[0] == '\0') {
            identity_err(err, errlen, "--jwt-alg ES256 needs --jwt-public-key-file");
            goto fail;
        }
        rc = identity_pem_load(k, cfg->jwt_public_key_file, err, errlen);
        if (rc != BO_OK) {
            goto fail;
        }
    } else {
        k->jwt_alg = JWT_ALG_HS256;
        if (cfg->jwt_public_key_file != NULL && cfg->jwt_public_key_file[0] != '\0') {
            identity_err(err, errlen, "--jwt-public-key-file needs --jwt-alg ES256");
            rc = BO_E_INVALID_ARGUMENT;
            goto fail;
        }
        if (cfg->jwt_secret != NULL && cfg->jwt_secret[0] != '\0') {
            k->jwt_key = (unsigned char *)strdup(cfg->jwt_secret);
            if (k->jwt_key == NULL) {
                rc = BO_E_NOMEM;
                goto fail;
            }
            k->jwt_key_len = (int)strlen(cfg->jwt_secret);
        }
    }
    identity_jwt_warm_up();
    *out = k;
    return BO_OK;
fail:
    identity_keys_close(k);
    return rc;
}

void identity_keys_close(struct identity_keys *k)
{
    if (k == NULL) {
        return;
    }
    if (k->session_secret != NULL) {
        OPENSSL_cleanse(k->session_secret, strlen(k->session_secret));
        free(k->session_secret);
    }
    if (k->jwt_key != NULL) {
        OPENSSL_cleanse(k->jwt_key, (size_t)k->jwt_key_len);
        free(k->jwt_key);
    }
    free(k);
}

/* ---- sessions -------------------------------------------------------------------------- */

/* identity_session_verify checks a proof that starts with "s1." (see identity_verify). */
static int identity_session_verify(const struct identity_keys *k, const char *proof, int64_t now_ms,
                                   struct identity *out)
{
    const char *part[IDENTITY_SESSION_PARTS];
    size_t plen[IDENTITY_SESSION_PARTS];
    size_t len = strnlen(proof, IDENTITY_SESSION_MAX);
    uint64_t user_id;
    uint64_t exp;
    int rc;

    if (len >= IDENTITY_SESSION_MAX ||
        sign_split(proof, len, IDENTITY_SESSION_PARTS, part, plen) != BO_OK ||
        plen[0] != strlen(IDENTITY_SESSION_VERSION) ||
        memcmp(part[0], IDENTITY_SESSION_VERSION, plen[0]) != 0 ||
        sign_parse_u64(part[1], plen[1], IDENTITY_USER_ID_MAX, &user_id) != BO_OK ||
        sign_parse_u64(part[2], plen[2], (uint64_t)IDENTITY_TIME_MAX, &exp) != BO_OK ||
        sign_b64url_check(part[3], plen[3], IDENTITY_SID_BYTES) != BO_OK ||
        plen[4] != SIGN_MAC_TEXT_LEN) {
        return BO_E_SESSION_INVALID;
    }
    rc = sign_verify(k->session_secret, proof, (size_t)(part[4] - 1 - proof), part[4]);
    if (rc != BO_OK) {
        return rc == BO_E_INVALID_ARGUMENT ? BO_E_SESSION_INVALID : rc;
    }
    if (now_ms >= (int64_t)exp * 1000) {
        return BO_E_SESSION_EXPIRED;
    }
    memset(out, 0, sizeof(*out));
    out->user_id = user_id;
    out->kind = IDENTITY_SESSION;
    memcpy(out->session_id, part[3], IDENTITY_SID_LEN);
    out->session_id[IDENTITY_SID_LEN] = '\0';
    out->expires_at_ms = (int64_t)exp * 1000;
    return BO_OK;
}

int identity_session_issue(const struct identity_keys *k, uint64_t user_id, int64_t now_ms,
                           int64_t ttl_seconds, char *text, size_t textlen, struct identity *out)
{
    unsigned char raw[IDENTITY_SID_BYTES];
    char sid[IDENTITY_SID_LEN + 1];
    char buf[IDENTITY_SESSION_MAX];
    char sig[SIGN_MAC_TEXT_LEN + 1];
    int64_t exp;
    int n;
    int rc;

    if (k == NULL) {
        return BO_E_INTERNAL;
    }
    if (text == NULL || out == NULL || user_id == 0 || user_id > IDENTITY_USER_ID_MAX ||
        now_ms < 0 || ttl_seconds <= 0 || ttl_seconds > IDENTITY_TIME_MAX - now_ms / 1000) {
        return BO_E_INVALID_ARGUMENT;
    }
    exp = now_ms / 1000 + ttl_seconds;
    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return BO_E_INTERNAL;
    }
    sign_b64url_encode(raw, sizeof(raw), sid);
    n = snprintf(buf, sizeof(buf), IDENTITY_SESSION_VERSION ".%llu.%lld.%s",
                 (unsigned long long)user_id, (long long)exp, sid);
    if (n < 0 || (size_t)n + 1 + SIGN_MAC_TEXT_LEN + 1 > sizeof(buf) ||
        (size_t)n + 1 + SIGN_MAC_TEXT_LEN + 1 > textlen) {
        return BO_E_INVALID_ARGUMENT;
    }
    rc = sign_mac(k->session_secret, buf, (size_t)n, sig);
    if (rc != BO_OK) {
        return rc;
    }
    buf[n] = '.';
    memcpy(buf + n + 1, sig, SIGN_MAC_TEXT_LEN + 1);
    memcpy(text, buf, (size_t)n + 1 + SIGN_MAC_TEXT_LEN + 1);
    memset(out, 0, sizeof(*out));
    out->user_id = user_id;
    out->kind = IDENTITY_SESSION;
    memcpy(out->session_id, sid, sizeof(sid));
    out->expires_at_ms = exp * 1000;
    return BO_OK;
}

/* ---- operator tokens ------------------------------------------------------------------- */

/* identity_jwt_shape returns BO_OK when proof is at most IDENTITY_JWT_MAX bytes of three
 * non-empty base64url parts, the last the one spelling of a signature of sig_bytes bytes. */
static int identity_jwt_shape(const char *proof, size_t sig_bytes)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789-_.";
    const char *part[IDENTITY_JWT_PARTS];
    size_t plen[IDENTITY_JWT_PARTS];
    size_t len = strnlen(proof, IDENTITY_JWT_MAX + 1);

    if (len > IDENTITY_JWT_MAX || strspn(proof, alphabet) != len ||
        sign_split(proof, len, IDENTITY_JWT_PARTS, part, plen) != BO_OK || plen[0] == 0 ||
        plen[1] == 0 || sign_b64url_check(part[2], plen[2], sig_bytes) != BO_OK) {
        return BO_E_SESSION_INVALID;
    }
    return BO_OK;
}

/* identity_jwt_time reads the integer claim name of jwt into *out: BO_OK, BO_E_NOT_FOUND when
 * absent, BO_E_SESSION_INVALID when not an integer (a string, a fraction, out of range). */
static int identity_jwt_time(jwt_t *jwt, const char *name, int64_t *out)
{
    char *json = jwt_get_grants_json(jwt, name); /* the claim as JSON text; we free it */
    char *end = NULL;
    long long v;
    int rc = BO_E_SESSION_INVALID;

    if (json == NULL) {
        return BO_E_NOT_FOUND;
    }
    /* jansson writes an integer as %lld: an optional '-' and digits, nothing else. */
    if ((json[0] == '-' || (json[0] >= '0' && json[0] <= '9')) &&
        strspn(json + 1, "0123456789") == strlen(json + 1)) {
        errno = 0;
        v = strtoll(json, &end, 10);
        if (errno == 0 && *end == '\0' && v <= IDENTITY_TIME_MAX) {
            *out = v;
            rc = BO_OK;
        }
    }
    free(json);
    return rc;
}

/* identity_jwt_claims checks the claims of a verified jwt at now_ms into *out. */
static int identity_jwt_claims(const struct identity_keys *k, jwt_t *jwt, int64_t now_ms,
                               struct identity *out)
{
    const char *sub = jwt_get_grant(jwt, "sub"); /* NULL unless a string */
    int64_t leeway_ms = (int64_t)k->leeway_seconds * 1000;
    uint64_t user_id;
    int64_t exp;
    int64_t nbf;
    int rc;

    if (sub == NULL || sign_parse_u64(sub, strlen(sub), IDENTITY_USER_ID_MAX, &user_id) != BO_OK ||
        identity_jwt_time(jwt, "exp", &exp) != BO_OK) {
        return BO_E_SESSION_INVALID;
    }
    rc = identity_jwt_time(jwt, "nbf", &nbf);
    if (rc == BO_E_NOT_FOUND) {
        nbf = 0;
    } else if (rc != BO_OK) {
        return rc;
    }
    if (nbf > 0 && nbf * 1000 - leeway_ms > now_ms) {
        return BO_E_SESSION_INVALID; /* not valid yet */
    }
    if (exp < 0 || now_ms >= exp * 1000 + leeway_ms) {
        return BO_E_SESSION_EXPIRED;
    }
    memset(out, 0, sizeof(*out));
    out->user_id = user_id;
    out->kind = IDENTITY_OPERATOR;
    out->expires_at_ms = exp * 1000;
    return BO_OK;
}

/* identity_jwt_verify checks an operator token (see identity_verify). */
static int identity_jwt_verify(const struct identity_keys *k, const char *proof, int64_t now_ms,
                               struct identity *out)
{
    jwt_t *jwt = NULL;
    int jrc;
    int rc;

    if (k->jwt_key == NULL || identity_jwt_shape(proof, k->jwt_alg == JWT_ALG_ES256
                                                            ? IDENTITY_ES256_SIG_BYTES
                                                            : IDENTITY_HS256_SIG_BYTES) != BO_OK) {
        return BO_E_SESSION_INVALID;
    }
    jrc = jwt_decode(&jwt, proof, k->jwt_key, k->jwt_key_len);
    if (jrc != 0) {
        return jrc == ENOMEM ? BO_E_NOMEM : BO_E_SESSION_INVALID;
    }
    /* The pin: libjwt verified with whatever alg the header named. */
    rc = jwt_get_alg(jwt) == k->jwt_alg ? identity_jwt_claims(k, jwt, now_ms, out)
                                        : BO_E_SESSION_INVALID;
    jwt_free(jwt);
    return rc;
}

/* ---- either ---------------------------------------------------------------------------- */

int identity_verify(const struct identity_keys *k, const char *proof, int64_t now_ms,
                    struct identity *out)
{
    if (proof == NULL || proof[0] == '\0') {
        return BO_E_SESSION_MISSING;
    }
    if (k == NULL || out == NULL) {
        return BO_E_INTERNAL;
    }
    if (strncmp(proof, IDENTITY_SESSION_VERSION ".", strlen(IDENTITY_SESSION_VERSION) + 1) == 0) {
        return identity_session_verify(k, proof, now_ms, out);
    }
    return identity_jwt_verify(k, proof, now_ms, out);
}
