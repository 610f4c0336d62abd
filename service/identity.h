/*
 * identity: who a call is made by: verifying sessions and operator identity tokens (JWT).
 *
 * A proof is either a session the service signed itself at login,
 * "s1.<userId>.<expiresAtUnixSeconds>.<sid>.<sig>" (sig = unpadded base64url HMAC-SHA256 of
 * everything before the last dot under the session secret), or an operator JWT signed by the
 * ticket site in front of us (HS256 with a shared secret or ES256 with its public key; claims
 * "sub" = the user id as a decimal string, "exp" required, "nbf" checked when present).
 * Verification needs no lookup: forged, altered and expired proofs are refused here; whether a
 * valid session was logged out is the caller's question (by its session id).
 *
 * The keys are read-only once open: any number of threads may verify and issue with one
 * struct identity_keys at once.
 */
#ifndef SVC_IDENTITY_H
#define SVC_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#define IDENTITY_SESSION_MAX 128 /* longest session text incl. NUL */
#define IDENTITY_SID_MAX     32  /* session id text incl. NUL */

/* The largest user id a proof may name: 2^53 - 1, exact in every JSON reader. */
#define IDENTITY_USER_ID_MAX 9007199254740991ULL

/* The longest JWT looked at; longer proofs are refused before parsing. */
#define IDENTITY_JWT_MAX 4096

/* The most clock leeway identity_config.leeway_seconds may give. */
#define IDENTITY_LEEWAY_MAX 30

enum identity_kind { IDENTITY_SESSION = 1, IDENTITY_OPERATOR = 2 };

/* Who a verified proof speaks for. */
struct identity {
    uint64_t user_id;
    int kind;                          /* enum identity_kind */
    char session_id[IDENTITY_SID_MAX]; /* sessions: the id logout revokes; "" for operator tokens */
    int64_t expires_at_ms;
};

/* The settings identity_keys_open reads; borrowed only during the call. */
struct identity_config {
    const char *session_secret; /* HMAC key for sessions (non-empty) */
    const char *jwt_alg;        /* "HS256" or "ES256" (NULL/"" = HS256) */
    const char *jwt_secret; /* HS256 key as text; "" = operator tokens refused (SESSION_INVALID) */
    const char
        *jwt_public_key_file; /* ES256: PEM public key file; required when jwt_alg is ES256 */
    int leeway_seconds;       /* clock leeway for exp and nbf of operator tokens, 0..30 */
};

/* The keys of one service: copies of the secrets and the ES256 public key (opaque). */
struct identity_keys;

/* identity_keys_open checks cfg and loads keys into a new *out (caller closes it with
 * identity_keys_close); on a bad config returns BO_E_INVALID_ARGUMENT with a sentence naming
 * the setting in err (e.g. "--jwt-alg must be HS256 or ES256", "cannot read
 * --jwt-public-key-file /x: No such file or directory"). With ES256 the HS256 secret is
 * ignored; a public key file with HS256 is refused (it would be ignored otherwise). */
__attribute__((warn_unused_result)) int identity_keys_open(const struct identity_config *cfg,
                                                           struct identity_keys **out, char *err,
                                                           size_t errlen);

/* identity_keys_close wipes and frees k; NULL is fine. */
void identity_keys_close(struct identity_keys *k);

/* identity_verify checks proof at now_ms (Unix ms) with no lookups: BO_E_SESSION_MISSING
 * (NULL/""), BO_E_SESSION_INVALID (malformed, bad signature, wrong alg, no/invalid sub, nbf in
 * the future, longer than IDENTITY_JWT_MAX), BO_E_SESSION_EXPIRED (exp passed: sessions
 * exactly, operator tokens beyond the leeway). Sessions start with "s1."; anything else is
 * tried as a JWT. Writes *out only on BO_OK. */
__attribute__((warn_unused_result)) int identity_verify(const struct identity_keys *k,
                                                        const char *proof, int64_t now_ms,
                                                        struct identity *out);

/* identity_session_issue signs a new session for user_id (1..IDENTITY_USER_ID_MAX) valid
 * ttl_seconds (> 0) from now_ms, with a random 128-bit id from the CSPRNG; text (textlen,
 * IDENTITY_SESSION_MAX is enough) gets the session, out its identity. BO_E_INVALID_ARGUMENT
 * for a bad argument, BO_E_INTERNAL if the CSPRNG or libcrypto fails. */
__attribute__((warn_unused_result)) int
identity_session_issue(const struct identity_keys *k, uint64_t user_id, int64_t now_ms,
                       int64_t ttl_seconds, char *text, size_t textlen, struct identity *out);

#endif
