/*
 * test_identity: who a call is made by. Sessions must round-trip and every altered, expired or
 * other spelling of one be refused; operator JWTs must pass only with the pinned alg, a valid
 * signature, a canonical sub and an unexpired exp; passwords must hash at the documented
 * Argon2id parameters with at most two hashes at a time. No servers.
 */
#include "bo_error.h"
#include "identity.h"
#include "proof_cache.h"
#include "password.h"
#include "support.h"

#include <check.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SESSION_SECRET "test-session-secret-0123456789"
#define JWT_SECRET     "test-operator-secret"
#define NOW_MS         1700000000000LL /* 2023-11-14T22:13:20Z */
#define TTL_S          3600
#define FAR_EXP        4102444800LL /* 2100-01-01 */
#define BIG            8192

#define B64URL "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/* Made by PyJWT 2.6 (jwt.encode({"sub":"42","exp":...}, JWT_SECRET, "HS256")), so the module
 * is checked against another implementation, not only against libjwt's own signing. */
static const char pyjwt_good[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                                 "eyJzdWIiOiI0MiIsImV4cCI6NDEwMjQ0NDgwMH0."
                                 "KBGiKw5cy0FLCvIUYe5BU9UeanRK7zART5eZpVczTw4";
static const char pyjwt_expired[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                                    "eyJzdWIiOiI0MiIsImV4cCI6MTAwMDAwMDAwMH0."
                                    "62zkpwv6PmdldOGquzRLEaWUWsRhHfdUisspmHCkJEs";

/* ---- helpers ------------------------------------------------------------------------------ */

/* open_keys opens keys for (alg, jwt secret, public key file) with the session secret and a
 * 30 s leeway, failing the test unless it works. */
static struct identity_keys *open_keys(const char *alg, const char *jwt_secret,
                                       const char *key_file)
{
    struct identity_config cfg = {SESSION_SECRET, alg, jwt_secret, key_file, 30};
    struct identity_keys *k = NULL;
    char err[256] = "";

    ck_assert_msg(identity_keys_open(&cfg, &k, err, sizeof(err)) == BO_OK, "open: %s", err);
    ck_assert_ptr_nonnull(k);
    return k;
}

/* verify_at returns what identity_verify says of proof at now_ms under k. */
static int verify_at(const struct identity_keys *k, const char *proof, int64_t now_ms)
{
    struct identity id;
    return identity_verify(k, proof, now_ms, &id);
}

/* mint writes a JWT of claims (a JSON object) signed with alg under key[0..keylen) into out. */
static void mint(jwt_alg_t alg, const void *key, size_t keylen, const char *claims, char *out,
                 size_t outlen)
{
    jwt_t *jwt = NULL;
    char *text;

    ck_assert_int_eq(jwt_new(&jwt), 0);
    ck_assert_int_eq(jwt_add_grants_json(jwt, claims), 0);
    ck_assert_int_eq(jwt_set_alg(jwt, alg, key, (int)keylen), 0);
    text = jwt_encode_str(jwt);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_lt(strlen(text), outlen);
    strcpy(out, text);
    free(text);
    jwt_free(jwt);
}

/* mint_hs256 mints claims with JWT_SECRET, as an operator would. */
static void mint_hs256(const char *claims, char *out, size_t outlen)
{
    mint(JWT_ALG_HS256, JWT_SECRET, strlen(JWT_SECRET), claims, out, outlen);
}

/* b64url writes in[0..len) as unpadded base64url into out through OpenSSL's base64 (not the
 * module's encoder), so the tests below sign independently of the code under test. */
static void b64url(const unsigned char *in, size_t len, char *out)
{
    int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);

    ck_assert_int_ge(n, 0);
    while (n > 0 && out[n - 1] == '=') {
        n--;
    }
    out[n] = '\0';
    for (char *p = out; *p != '\0'; p++) {
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    }
}

/* session_raw writes head + "." + its HMAC-SHA256 under SESSION_SECRET into out. */
static void session_raw(const char *head, char *out, size_t outlen)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    char sig[128];

    ck_assert_ptr_nonnull(HMAC(EVP_sha256(), SESSION_SECRET, (int)strlen(SESSION_SECRET),
                               (const unsigned char *)head, strlen(head), mac, &maclen));
    b64url(mac, maclen, sig);
    snprintf(out, outlen, "%s.%s", head, sig);
}

/* An EC or RSA key pair as PEM texts. */
struct pem_pair {
    char pub[1024];
    char priv[4096];
};

/* pem_pair_make generates a key (EVP_EC_gen(curve), or RSA 2048 when curve is NULL). */
static void pem_pair_make(const char *curve, struct pem_pair *p)
{
    EVP_PKEY *pk = curve != NULL ? EVP_EC_gen(curve) : EVP_RSA_gen(2048);
    BIO *pub = BIO_new(BIO_s_mem());
    BIO *priv = BIO_new(BIO_s_mem());
    int n;

    ck_assert_ptr_nonnull(pk);
    ck_assert_int_eq(PEM_write_bio_PUBKEY(pub, pk), 1);
    ck_assert_int_eq(PEM_write_bio_PrivateKey(priv, pk, NULL, NULL, 0, NULL, NULL), 1);
    n = BIO_read(pub, p->pub, sizeof(p->pub) - 1);
    ck_assert_int_gt(n, 0);
    p->pub[n] = '\0';
    n = BIO_read(priv, p->priv, sizeof(p->priv) - 1);
    ck_assert_int_gt(n, 0);
    p->priv[n] = '\0';
    BIO_free(pub);
    BIO_free(priv);
    EVP_PKEY_free(pk);
}

/* write_temp writes text to a new temporary file whose path goes into path (64 bytes). */
static void write_temp(const char *text, char path[64])
{
    int fd;

    snprintf(path, 64, "/tmp/test_identity.XXXXXX");
    fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* refuse_changes changes each character of text[from..to), in turn, to every other character
 * of alphabet and fails unless each result is refused as SESSION_INVALID; text is as before
 * afterwards. */
static void refuse_changes(const struct identity_keys *k, char *text, size_t from, size_t to,
                           const char *alphabet)
{
    for (size_t i = from; i < to; i++) {
        char orig = text[i];
        for (const char *a = alphabet; *a != '\0'; a++) {
            if (*a == orig) {
                continue;
            }
            text[i] = *a;
            ck_assert_msg(verify_at(k, text, NOW_MS) == BO_E_SESSION_INVALID, "accepted %s", text);
        }
        text[i] = orig;
    }
}

/* ---- sessions ----------------------------------------------------------------------------- */

START_TEST(session_round_trip)
{
    struct identity_keys *k = open_keys(NULL, JWT_SECRET, NULL);
    char text[IDENTITY_SESSION_MAX], other[IDENTITY_SESSION_MAX];
    struct identity issued, got, again;
    const char *sid;

    ck_assert_int_eq(identity_session_issue(k, 42, NOW_MS, TTL_S, text, sizeof(text), &issued),
                     BO_OK);
    ck_assert(strncmp(text, "s1.42.1700003600.", 17) == 0);
    sid = text + 17;
    ck_assert_uint_eq(strspn(sid, B64URL), 22);
    ck_assert_int_eq(sid[22], '.');
    ck_assert_uint_eq(strspn(sid + 23, B64URL), 43);
    ck_assert_uint_eq(strlen(text), 17 + 22 + 1 + 43);
    ck_assert_uint_eq(issued.user_id, 42);
    ck_assert_int_eq(issued.kind, IDENTITY_SESSION);
    ck_assert_int_eq(issued.expires_at_ms, 1700003600000LL);
    ck_assert(strncmp(issued.session_id, sid, 22) == 0 && issued.session_id[22] == '\0');

    ck_assert_int_eq(identity_verify(k, text, NOW_MS, &got), BO_OK);
    ck_assert_uint_eq(got.user_id, 42);
    ck_assert_int_eq(got.kind, IDENTITY_SESSION);
    ck_assert_str_eq(got.session_id, issued.session_id);
    ck_assert_int_eq(got.expires_at_ms, issued.expires_at_ms);

    /* A second session of the same user has its own id. */
    ck_assert_int_eq(identity_session_issue(k, 42, NOW_MS, TTL_S, other, sizeof(other), &again),
                     BO_OK);
    ck_assert_str_ne(other, text);
    ck_assert_str_ne(again.session_id, issued.session_id);

    /* The largest user id still fits. */
    ck_assert_int_eq(
        identity_session_issue(k, IDENTITY_USER_ID_MAX, NOW_MS, TTL_S, text, sizeof(text), &issued),
        BO_OK);
    ck_assert_int_eq(identity_verify(k, text, NOW_MS, &got), BO_OK);
    ck_assert_uint_eq(got.user_id, IDENTITY_USER_ID_MAX);
    identity_keys_close(k);
}
END_TEST

START_TEST(session_missing)
{
    struct identity_keys *k = open_keys(NULL, JWT_SECRET, NULL);

    ck_assert_int_eq(verify_at(k, NULL, NOW_MS), BO_E_SESSION_MISSING);
    ck_assert_int_eq(verify_at(k, "", NOW_MS), BO_E_SESSION_MISSING);
    identity_keys_close(k);
}
END_TEST

START_TEST(session_altered_byte_refused)
{
    struct identity_keys *k = open_keys(NULL, JWT_SECRET, NULL);
    char text[IDENTITY_SESSION_MAX];
    struct identity id, untouched;

    ck_assert_int_eq(identity_session_issue(k, 12345, NOW_MS, TTL_S, text, sizeof(text), &id),
                     BO_OK);
    /* Every byte, changed to every base64url character, digit, dot and padding. */
    refuse_changes(k, text, 0, strlen(text), B64URL ".=+/ ");
    ck_assert_int_eq(verify_at(k, text, NOW_MS), BO_OK);

    /* Out-parameters stay untouched on failure. */
    memset(&untouched, 0x5a, sizeof(untouched));
    id = untouched;
    text[5] = text[5] == '1' ? '2' : '1';
    ck_assert_int_eq(identity_verify(k, text, NOW_MS, &id), BO_E_SESSION_INVALID);
    ck_assert_mem_eq(&id, &untouched, sizeof(id));
    identity_keys_close(k);
}
END_TEST

START_TEST(session_truncated_and_extended_refused)
{
    static const char *const tails[] = {"=", "A", ".", ".x", " ", "\n"};
    struct identity_keys *k = open_keys(NULL, JWT_SECRET, NULL);
    char text[IDENTITY_SESSION_MAX], x[2 * IDENTITY_SESSION_MAX];
    struct identity id;
    size_t len;

    ck_assert_int_eq(identity_session_issue(k, 7, NOW_MS, TTL_S, text, sizeof(text), &id), BO_OK);
    len = strlen(text);
    for (size_t n = 1; n < len; n++) {
        memcpy(x, text, n);
        x[n] = '\0';
        ck_assert_msg(verify_at(k, x, NOW_MS) == BO_E_SESSION_INVALID, "accepted %s", x);
    }
    for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        snprintf(x, sizeof(x), "%s%s", text, tails[i]);
        ck_assert_msg(verify_at(k, x, NOW_MS) == BO_E_SESSION_INVALID, "accepted %s", x);
        snprintf(x, sizeof(x), "%s%s", tails[i], text);
        ck_assert_msg(verify_at(k, x, NOW_MS) == BO_E_SESSION_INVALID, "accepted %s", x);
    }
    identity_keys_close(k);
}
END_TEST

START_TEST(session_expired)
{
    struct identity_keys *k = open_keys(NULL, JWT_SECRET, NULL);
    char text[IDENTITY_SESSION_MAX];
    struct identity id;

    ck_assert_int_eq(identity_session_issue(k, 7, NOW_MS, TTL_S, text, sizeof(text), &id), BO_OK);
    ck_assert_int_eq(verify_at(k, text, id.expires_at_ms - 1), BO_OK);
    ck_assert_int_eq(verify_at(k, text, id.expires_at_ms), BO_E_SESSION_EXPIRED);
    ck_assert_int_eq(verify_at(k, text, id.expires_at_ms + 86400000LL), BO_E_SESSION_EXPIRED);
    identity_keys_close(k);
}
END_TEST

START_TEST(session_wrong_secret_refused)
{
    struct identity_keys *k = open_keys(NULL, JWT_SECRET, NULL);
    struct identity_config cfg = {"another session secret", NULL, JWT_SECRET, NULL, 0};
    struct identity_keys *other = NULL;
    char text[IDENTITY_SESSION_MAX];
    struct identity id;

    ck_assert_int_eq(identity_keys_open(&cfg, &other, NULL, 0), BO_OK);
    ck_assert_int_eq(identity_session_issue(k, 7, NOW_MS, TTL_S, text, sizeof(text), &id), BO_OK);
    ck_assert_int_eq(verify_at(other, text, NOW_MS), BO_E_SESSION_INVALID);
    identity_keys_close(other);
    identity_keys_close(k);
}
END_TEST

START_TEST(session_independent_signature_matches)
{
    struct identity_keys *k = open_keys(NULL, JWT_SECRET, NULL);
    char text[IDENTITY_SESSION_MAX], head[IDENTITY_SESSION_MAX], x[2 * IDENTITY_SESSION_MAX];
    struct identity id;

    /* session_raw must agree with the module, else the spelling tests below prove nothing. */
    ck_assert_int_eq(identity_session_issue(k, 42, NOW_MS, TTL_S, text, sizeof(text), &id), BO_OK);
    memcpy(head, text, strlen(text) - 44);
    head[strlen(text) - 44] = '\0';
    session_raw(head, x, sizeof(x));
    ck_assert_str_eq(x, text);
    session_raw("s1.42.1700003600.AAAAAAAAAAAAAAAAAAAAAA", x, sizeof(x));
    ck_assert_int_eq(verify_at(k, x, NOW_MS), BO_OK);
    identity_keys_close(k);
}
END_TEST

/* Other spellings of a session, each signed correctly: all refused. */
static const char *const session_spellings[] = {
    "s1.042.1700003600.AAAAAAAAAAAAAAAAAAAAAA",                  /* leading zero */
    "s1.+42.1700003600.AAAAAAAAAAAAAAAAAAAAAA",                  /* sign */
    "s1.-42.1700003600.AAAAAAAAAAAAAAAAAAAAAA",                  /* negative */
    "s1. 42.1700003600.AAAAAAAAAAAAAAAAAAAAAA",                  /* space */
    "s1.0.1700003600.AAAAAAAAAAAAAAAAAAAAAA",                    /* user 0 */
    "s1.9007199254740992.1700003600.AAAAAAAAAAAAAAAAAAAAAA",     /* 2^53 */
    "s1.18446744073709551616.1700003600.AAAAAAAAAAAAAAAAAAAAAA", /* 2^64 */
    "s1.42.01700003600.AAAAAAAAAAAAAAAAAAAAAA",                  /* exp with a leading zero */
    "s1.42.1700003600.0.AAAAAAAAAAAAAAAAAAAAAA",                 /* a fraction / extra part */
    "s1.42.0.AAAAAAAAAAAAAAAAAAAAAA",                            /* exp 0 */
    "s1.42.1700003600e0.AAAAAAAAAAAAAAAAAAAAAA",                 /* exponent */
    "s1.42.1700003600.AAAAAAAAAAAAAAAAAAAAA",                    /* 21-character id */
    "s1.42.1700003600.AAAAAAAAAAAAAAAAAAAAAAA",                  /* 23-character id */
    "s1.42.1700003600.AAAAAAAAAAAAAAAAAAAAAB",                   /* id with non-zero spare bits */
    "s1.42.1700003600.AAAAAAAAAAAAAAAAAAAAAA==",                 /* padded id */
    "s1.42.1700003600.AAAAAAAAAAAAAAAAAAAA+/",                   /* standard base64 id */
    "s1.42.1700003600.",                                         /* empty id */
    "s1.42.1700003600",                                          /* no id */
    "S1.42.1700003600.AAAAAAAAAAAAAAAAAAAAAA",                   /* other version spellings */
    "s2.42.1700003600.AAAAAAAAAAAAAAAAAAAAAA",
    "v1.42.1700003600.AAAAAAAAAAAAAAAAAAAAAA",
};

/* check_session_spelling fails unless *head, signed right, is refused as SESSION_INVALID. */
static void check_session_spelling(const char *const *head)
{
    struct identity_keys *k = open_keys(NULL, JWT_SECRET, NULL);
    char x[2 * IDENTITY_SESSION_MAX];

    session_raw(*head, x, sizeof(x));
    ck_assert_msg(verify_at(k, x, NOW_MS) == BO_E_SESSION_INVALID, "accepted %s", x);
    identity_keys_close(k);
}

SUPPORT_TABLE_TEST(session_other_spellings_refused, session_spellings, check_session_spelling)

START_TEST(session_issue_refuses_bad_input)
{
    struct identity_keys *k = open_keys(NULL, JWT_SECRET, NULL);
    char text[IDENTITY_SESSION_MAX], small[40];
    struct identity id;

    ck_assert_int_eq(identity_session_issue(k, 0, NOW_MS, TTL_S, text, sizeof(text), &id),
                     BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(
        identity_session_issue(k, IDENTITY_USER_ID_MAX + 1, NOW_MS, TTL_S, text, sizeof(text), &id),
        BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(identity_session_issue(k, 1, NOW_MS, 0, text, sizeof(text), &id),
                     BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(identity_session_issue(k, 1, NOW_MS, INT64_MAX, text, sizeof(text), &id),
                     BO_E_INVALID_ARGUMENT);
    memset(small, 'x', sizeof(small));
    ck_assert_int_eq(identity_session_issue(k, 1, NOW_MS, TTL_S, small, sizeof(small), &id),
                     BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(small[0], 'x');
    identity_keys_close(k);
}
END_TEST

/* ---- operator tokens: HS256 --------------------------------------------------------------- */

START_TEST(jwt_hs256_good)
{
    struct identity_keys *k = open_keys(NULL, JWT_SECRET, NULL);
    char t[BIG];
    struct identity id;

    ck_assert_int_eq(identity_verify(k, pyjwt_good, NOW_MS, &id), BO_OK);
    ck_assert_uint_eq(id.user_id, 42);
    ck_assert_int_eq(id.kind, IDENTITY_OPERATOR);
    ck_assert_str_eq(id.session_id, "");
    ck_assert_int_eq(id.expires_at_ms, FAR_EXP * 1000);
    ck_assert_int_eq(verify_at(k, pyjwt_expired, NOW_MS), BO_E_SESSION_EXPIRED);

    /* libjwt's own tokens, with iat and an nbf in the past, and the largest sub. */
    mint_hs256("{\"sub\":\"9007199254740991\",\"exp\":4102444800,\"iat\":1700000000,"
               "\"nbf\":1699999999}",
               t, sizeof(t));
    ck_assert_int_eq(identity_verify(k, t, NOW_MS, &id), BO_OK);
    ck_assert_uint_eq(id.user_id, IDENTITY_USER_ID_MAX);
    identity_keys_close(k);
}
END_TEST

START_TEST(jwt_wrong_secret_refused)
{
    struct identity_keys *k = open_keys("HS256", "not the operator secret", NULL);
    struct identity_keys *none = open_keys("HS256", "", NULL);
    char t[BIG];
    struct identity id;

    ck_assert_int_eq(verify_at(k, pyjwt_good, NOW_MS), BO_E_SESSION_INVALID);
    /* No operator secret: every operator token is refused, sessions still work. */
    ck_assert_int_eq(verify_at(none, pyjwt_good, NOW_MS), BO_E_SESSION_INVALID);
    mint(JWT_ALG_HS256, "x", 1, "{\"sub\":\"42\",\"exp\":4102444800}", t, sizeof(t));
    ck_assert_int_eq(verify_at(none, t, NOW_MS), BO_E_SESSION_INVALID);
    ck_assert_int_eq(identity_session_issue(none, 42, NOW_MS, TTL_S, t, sizeof(t), &id), BO_OK);
    ck_assert_int_eq(verify_at(none, t, NOW_MS), BO_OK);
    identity_keys_close(none);
    identity_keys_close(k);
}
END_TEST

START_TEST(jwt_altered_byte_refused)
{
    struct identity_keys *k = open_keys(NULL, JWT_SECRET, NULL);
    char t[sizeof(pyjwt_good)];

    memcpy(t, pyjwt_good, sizeof(t));
    refuse_changes(k, t, 0, strlen(t), B64URL ".=+/");
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_OK);
    identity_keys_close(k);
}
END_TEST

START_TEST(jwt_exp_checked)
{
    struct identity_keys *k = open_keys(NULL, JWT_SECRET, NULL);
    const int64_t exp = NOW_MS / 1000;
    char t[BIG];

    /* Required, and an integer. */
    mint_hs256("{\"sub\":\"42\"}", t, sizeof(t));
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_E_SESSION_INVALID);
    mint_hs256("{\"sub\":\"42\",\"exp\":\"4102444800\"}", t, sizeof(t));
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_E_SESSION_INVALID);
    mint_hs256("{\"sub\":\"42\",\"exp\":4102444800.5}", t, sizeof(t));
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_E_SESSION_INVALID);
    mint_hs256("{\"sub\":\"42\",\"exp\":null}", t, sizeof(t));
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_E_SESSION_INVALID);
    mint_hs256("{\"sub\":\"42\",\"exp\":9223372036854775807}", t, sizeof(t));
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_E_SESSION_INVALID);

    /* Expired at exp, with 30 s of leeway. */
    mint_hs256("{\"sub\":\"42\",\"exp\":1700000000}", t, sizeof(t));
    ck_assert_int_eq(verify_at(k, t, exp * 1000 - 1), BO_OK);
    ck_assert_int_eq(verify_at(k, t, (exp + 29) * 1000), BO_OK);
    ck_assert_int_eq(verify_at(k, t, (exp + 30) * 1000 - 1), BO_OK);
    ck_assert_int_eq(verify_at(k, t, (exp + 30) * 1000), BO_E_SESSION_EXPIRED);
    ck_assert_int_eq(verify_at(k, t, (exp + 31) * 1000), BO_E_SESSION_EXPIRED);
    mint_hs256("{\"sub\":\"42\",\"exp\":-1}", t, sizeof(t));
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_E_SESSION_EXPIRED);
    /* A bad sub is INVALID even when expired. */
    mint_hs256("{\"sub\":\"x\",\"exp\":1}", t, sizeof(t));
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_E_SESSION_INVALID);
    identity_keys_close(k);
}
END_TEST

START_TEST(jwt_nbf_checked)
{
    struct identity_keys *k = open_keys(NULL, JWT_SECRET, NULL);
    char t[BIG];

    mint_hs256("{\"sub\":\"42\",\"exp\":4102444800,\"nbf\":1700000030}", t, sizeof(t));
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_OK); /* within the leeway */
    mint_hs256("{\"sub\":\"42\",\"exp\":4102444800,\"nbf\":1700000031}", t, sizeof(t));
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_E_SESSION_INVALID);
    ck_assert_int_eq(verify_at(k, t, NOW_MS + 1000), BO_OK);
    mint_hs256("{\"sub\":\"42\",\"exp\":4102444800,\"nbf\":\"0\"}", t, sizeof(t));
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_E_SESSION_INVALID);
    identity_keys_close(k);
}
END_TEST

START_TEST(jwt_alg_pinned)
{
    struct identity_keys *k = open_keys("HS256", JWT_SECRET, NULL);
    static const char claims[] = "{\"sub\":\"42\",\"exp\":4102444800}";
    char t[BIG], body[BIG];
    const char *dot;

    /* alg none, as libjwt writes it (empty signature) and with a signature-shaped tail. */
    mint(JWT_ALG_NONE, NULL, 0, claims, t, sizeof(t));
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_E_SESSION_INVALID);
    strcat(t, "KBGiKw5cy0FLCvIUYe5BU9UeanRK7zART5eZpVczTw4");
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_E_SESSION_INVALID);
    /* {"alg":"none"} with pyjwt_good's body and signature. */
    dot = strchr(pyjwt_good, '.');
    snprintf(body, sizeof(body), "eyJhbGciOiJub25lIn0%s", dot);
    ck_assert_int_eq(verify_at(k, body, NOW_MS), BO_E_SESSION_INVALID);

    /* The right secret under another HMAC. */
    mint(JWT_ALG_HS512, JWT_SECRET, strlen(JWT_SECRET), claims, t, sizeof(t));
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_E_SESSION_INVALID);
    mint(JWT_ALG_HS384, JWT_SECRET, strlen(JWT_SECRET), claims, t, sizeof(t));
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_E_SESSION_INVALID);
    identity_keys_close(k);
}
END_TEST

/* sub claims that are not a user id, each in an otherwise good token: all refused. */
static const char *const bad_subs[] = {
    "{\"exp\":4102444800}",
    "{\"sub\":\"\",\"exp\":4102444800}",
    "{\"sub\":\"abc\",\"exp\":4102444800}",
    "{\"sub\":\"0\",\"exp\":4102444800}",
    "{\"sub\":\"-1\",\"exp\":4102444800}",
    "{\"sub\":\"+1\",\"exp\":4102444800}",
    "{\"sub\":\"042\",\"exp\":4102444800}",
    "{\"sub\":\"42 \",\"exp\":4102444800}",
    "{\"sub\":\"4.2\",\"exp\":4102444800}",
    "{\"sub\":\"9007199254740992\",\"exp\":4102444800}",
    "{\"sub\":\"18446744073709551616\",\"exp\":4102444800}",
    "{\"sub\":\"user-42\",\"exp\":4102444800}",
    "{\"sub\":42,\"exp\":4102444800}", /* a number: refused, sub is a string (RFC 7519) */
    "{\"sub\":null,\"exp\":4102444800}",
    "{\"sub\":[\"42\"],\"exp\":4102444800}",
};

/* check_bad_sub fails unless a good HS256 token of claims *c is refused as SESSION_INVALID. */
static void check_bad_sub(const char *const *c)
{
    struct identity_keys *k = open_keys(NULL, JWT_SECRET, NULL);
    char t[BIG];

    mint_hs256(*c, t, sizeof(t));
    ck_assert_msg(verify_at(k, t, NOW_MS) == BO_E_SESSION_INVALID, "accepted %s", *c);
    identity_keys_close(k);
}

SUPPORT_TABLE_TEST(jwt_bad_sub_refused, bad_subs, check_bad_sub)

START_TEST(jwt_oversized_and_malformed_refused)
{
    static const char *const malformed[] = {
        "garbage",
        ".",
        "..",
        "...",
        "a.b",
        "a.b.c.d",
        "eyJ.eyJ.",
        "s1",
        "s2.1.2.3.4",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..KBGiKw5cy0FLCvIUYe5BU9UeanRK7zART5eZpVczTw4",
    };
    static const char pad_head[] = "{\"sub\":\"42\",\"exp\":4102444800,\"pad\":\"";
    struct identity_keys *k = open_keys(NULL, JWT_SECRET, NULL);
    char *big = malloc(5001);
    char t[BIG];

    ck_assert_ptr_nonnull(big);
    memset(big, 'A', 5000);
    big[5000] = '\0';
    big[100] = '.';
    big[200] = '.';
    ck_assert_int_eq(verify_at(k, big, NOW_MS), BO_E_SESSION_INVALID);
    /* A good token padded past IDENTITY_JWT_MAX with a long claim: refused on length alone. */
    memset(big, 'x', 4200);
    memcpy(big, pad_head, strlen(pad_head));
    strcpy(big + 4200, "\"}");
    mint_hs256(big, t, sizeof(t));
    ck_assert_uint_gt(strlen(t), IDENTITY_JWT_MAX);
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_E_SESSION_INVALID);
    /* Just under the limit it passes. */
    big[2900] = '\0';
    strcat(big, "\"}");
    mint_hs256(big, t, sizeof(t));
    ck_assert_uint_le(strlen(t), IDENTITY_JWT_MAX);
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_OK);
    free(big);
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        ck_assert_msg(verify_at(k, malformed[i], NOW_MS) == BO_E_SESSION_INVALID, "accepted %s",
                      malformed[i]);
    }
    identity_keys_close(k);
}
END_TEST

/* ---- operator tokens: ES256 --------------------------------------------------------------- */

START_TEST(jwt_es256)
{
    static const char claims[] = "{\"sub\":\"42\",\"exp\":4102444800}";
    struct pem_pair ours, theirs;
    struct identity_keys *k;
    char path[64], t[BIG], session[IDENTITY_SESSION_MAX];
    struct identity id;
    jwt_t *raw = NULL;

    pem_pair_make("P-256", &ours);
    pem_pair_make("P-256", &theirs);
    write_temp(ours.pub, path);
    k = open_keys("ES256", JWT_SECRET, path);
    unlink(path);

    mint(JWT_ALG_ES256, ours.priv, strlen(ours.priv), claims, t, sizeof(t));
    ck_assert_int_eq(identity_verify(k, t, NOW_MS, &id), BO_OK);
    ck_assert_uint_eq(id.user_id, 42);
    ck_assert_int_eq(id.kind, IDENTITY_OPERATOR);

    /* Another key pair's signature. */
    mint(JWT_ALG_ES256, theirs.priv, strlen(theirs.priv), claims, t, sizeof(t));
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_E_SESSION_INVALID);

    /* HS256 "signed" with the public key's PEM text; the HS256 secret is not used either. */
    mint(JWT_ALG_HS256, ours.pub, strlen(ours.pub), claims, t, sizeof(t));
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_E_SESSION_INVALID);
    mint_hs256(claims, t, sizeof(t));
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_E_SESSION_INVALID);

    /* HS512 with the PEM text has an ES256-sized signature, so only the pin stops it: libjwt
     * alone takes it. */
    mint(JWT_ALG_HS512, ours.pub, strlen(ours.pub), claims, t, sizeof(t));
    ck_assert_int_eq(jwt_decode(&raw, t, (const unsigned char *)ours.pub, (int)strlen(ours.pub)),
                     0);
    jwt_free(raw);
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_E_SESSION_INVALID);

    /* alg none. */
    mint(JWT_ALG_NONE, NULL, 0, claims, t, sizeof(t));
    ck_assert_int_eq(verify_at(k, t, NOW_MS), BO_E_SESSION_INVALID);

    /* Sessions do not depend on the operator alg. */
    ck_assert_int_eq(identity_session_issue(k, 9, NOW_MS, TTL_S, session, sizeof(session), &id),
                     BO_OK);
    ck_assert_int_eq(verify_at(k, session, NOW_MS), BO_OK);
    identity_keys_close(k);
}
END_TEST

/* ---- configuration ------------------------------------------------------------------------ */

/* open_fails opens cfg, expecting BO_E_INVALID_ARGUMENT and an err holding want. */
static void open_fails(struct identity_config cfg, const char *want)
{
    struct identity_keys *k = NULL;
    char err[256] = "";

    ck_assert_int_eq(identity_keys_open(&cfg, &k, err, sizeof(err)), BO_E_INVALID_ARGUMENT);
    ck_assert_ptr_null(k);
    ck_assert_msg(strstr(err, want) != NULL, "err \"%s\" lacks \"%s\"", err, want);
}

START_TEST(keys_open_refuses_bad_config)
{
    struct pem_pair p384, rsa;
    char p384_path[64], rsa_path[64], junk_path[64];

    pem_pair_make("P-384", &p384);
    pem_pair_make(NULL, &rsa);
    write_temp(p384.pub, p384_path);
    write_temp(rsa.pub, rsa_path);
    write_temp("not a key\n", junk_path);

    open_fails((struct identity_config){"", NULL, JWT_SECRET, NULL, 0}, "--token-secret");
    open_fails((struct identity_config){NULL, NULL, JWT_SECRET, NULL, 0}, "--token-secret");
    open_fails((struct identity_config){SESSION_SECRET, "RS256", JWT_SECRET, NULL, 0},
               "--jwt-alg must be HS256 or ES256");
    open_fails((struct identity_config){SESSION_SECRET, "none", JWT_SECRET, NULL, 0},
               "--jwt-alg must be HS256 or ES256");
    open_fails((struct identity_config){SESSION_SECRET, "ES256", JWT_SECRET, NULL, 0},
               "--jwt-public-key-file");
    open_fails(
        (struct identity_config){SESSION_SECRET, "ES256", JWT_SECRET, "/nonexistent/k.pem", 0},
        "cannot read --jwt-public-key-file /nonexistent/k.pem: No such file");
    open_fails((struct identity_config){SESSION_SECRET, "ES256", JWT_SECRET, junk_path, 0},
               "is not a PEM P-256 public key");
    open_fails((struct identity_config){SESSION_SECRET, "ES256", JWT_SECRET, p384_path, 0},
               "is not a PEM P-256 public key");
    open_fails((struct identity_config){SESSION_SECRET, "ES256", JWT_SECRET, rsa_path, 0},
               "is not a PEM P-256 public key");
    open_fails((struct identity_config){SESSION_SECRET, "HS256", JWT_SECRET, rsa_path, 0},
               "--jwt-public-key-file needs --jwt-alg ES256");
    open_fails((struct identity_config){SESSION_SECRET, NULL, JWT_SECRET, NULL, 31}, "0..30");
    open_fails((struct identity_config){SESSION_SECRET, NULL, JWT_SECRET, NULL, -1}, "0..30");
    unlink(p384_path);
    unlink(rsa_path);
    unlink(junk_path);
    identity_keys_close(NULL);
}
END_TEST

/* ---- threads ------------------------------------------------------------------------------ */

/* One thread of verify_in_threads: its proofs and how many verified. */
struct verify_arg {
    const struct identity_keys *k;
    const char *proofs[2];
    int ok;
};

/* verify_thread verifies each of its proofs many times. */
static void *verify_thread(void *p)
{
    struct verify_arg *a = p;
    struct identity id;

    for (int i = 0; i < 200; i++) {
        for (int j = 0; j < 2; j++) {
            a->ok += identity_verify(a->k, a->proofs[j], NOW_MS, &id) == BO_OK;
        }
    }
    return NULL;
}

START_TEST(verify_in_threads)
{
    struct pem_pair ours;
    struct identity_keys *hs = open_keys(NULL, JWT_SECRET, NULL), *es;
    char path[64], es_token[BIG], session[IDENTITY_SESSION_MAX];
    struct verify_arg args[8];
    struct identity id;

    pem_pair_make("P-256", &ours);
    write_temp(ours.pub, path);
    es = open_keys("ES256", "", path);
    unlink(path);
    mint(JWT_ALG_ES256, ours.priv, strlen(ours.priv), "{\"sub\":\"5\",\"exp\":4102444800}",
         es_token, sizeof(es_token));
    ck_assert_int_eq(identity_session_issue(hs, 5, NOW_MS, TTL_S, session, sizeof(session), &id),
                     BO_OK);
    for (int i = 0; i < 8; i++) {
        args[i] = (struct verify_arg){i % 2 ? hs : es, {i % 2 ? pyjwt_good : es_token, session}, 0};
    }
    support_threads_run(verify_thread, args, sizeof(args[0]), 8);
    for (int i = 0; i < 8; i++) {
        ck_assert_msg(args[i].ok == 400, "thread %d verified %d of 400", i, args[i].ok);
    }
    identity_keys_close(es);
    identity_keys_close(hs);
}
END_TEST

/* ---- passwords ---------------------------------------------------------------------------- */

START_TEST(password_hash_and_verify)
{
    char h[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX], longpw[PASSWORD_MAX + 2];

    ck_assert_int_eq(password_init(), BO_OK);
    ck_assert_int_eq(password_init(), BO_OK);
    ck_assert_int_eq(password_hash("correct horse battery", h), BO_OK);
    ck_assert_msg(strncmp(h, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0, "hash %s", h);
    ck_assert_int_eq(password_verify(h, "correct horse battery"), BO_OK);
    ck_assert_int_eq(password_verify(h, "correct horse batterx"), BO_E_LOGIN_FAILED);
    ck_assert_int_eq(password_verify(h, ""), BO_E_LOGIN_FAILED);
    ck_assert_int_eq(password_verify(NULL, "correct horse battery"), BO_E_LOGIN_FAILED);
    ck_assert_int_eq(password_verify("not a hash", "correct horse battery"), BO_E_LOGIN_FAILED);
    /* A fresh salt each time. */
    ck_assert_int_eq(password_hash("correct horse battery", h2), BO_OK);
    ck_assert_str_ne(h, h2);
    ck_assert_int_eq(password_verify(h2, "correct horse battery"), BO_OK);
    /* PASSWORD_MAX bytes is fine, one more is not. */
    memset(longpw, 'p', sizeof(longpw));
    longpw[PASSWORD_MAX] = '\0';
    ck_assert_int_eq(password_hash(longpw, h), BO_OK);
    ck_assert_int_eq(password_verify(h, longpw), BO_OK);
    longpw[PASSWORD_MAX] = 'p';
    longpw[PASSWORD_MAX + 1] = '\0';
    ck_assert_int_eq(password_hash(longpw, h2), BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(password_verify(h, longpw), BO_E_LOGIN_FAILED);
    /* The short demo password hashes too: length rules are the caller's. */
    ck_assert_int_eq(password_hash("demo", h), BO_OK);
    ck_assert_int_eq(password_verify(h, "demo"), BO_OK);
}
END_TEST

/* What the test hook saw: Argon2 calls running now, the most at once, and calls in all. */
static atomic_int hook_running, hook_peak, hook_calls;
/* How count_hook lingers on entry: hook_pair waits (up to 3 s) for a second call to hold a
 * slot too, then hook_linger_ms; hook_hold keeps it while set (up to 30 s). */
static atomic_int hook_pair, hook_linger_ms, hook_hold;

/* count_hook counts calls in their slots and lingers as set, so calls that could overlap do. */
static void count_hook(int delta)
{
    int now;

    if (delta < 0) {
        atomic_fetch_sub(&hook_running, 1);
        return;
    }
    atomic_fetch_add(&hook_calls, 1);
    now = atomic_fetch_add(&hook_running, 1) + 1;
    for (int peak = atomic_load(&hook_peak); now > peak;) {
        if (atomic_compare_exchange_weak(&hook_peak, &peak, now)) {
            break;
        }
    }
    for (int i = 0; i < 300 && atomic_load(&hook_pair) && atomic_load(&hook_running) < 2; i++) {
        support_sleep_ms(10);
    }
    support_sleep_ms(atomic_load(&hook_linger_ms));
    for (int i = 0; i < 3000 && atomic_load(&hook_hold); i++) {
        support_sleep_ms(10);
    }
}

/* hook_reset installs count_hook with zeroed counters and the given lingering. */
static void hook_reset(int pair, int linger_ms, int hold)
{
    ck_assert_int_eq(password_init(), BO_OK); /* the dummy hash is made before counting */
    atomic_store(&hook_running, 0);
    atomic_store(&hook_peak, 0);
    atomic_store(&hook_calls, 0);
    atomic_store(&hook_pair, pair);
    atomic_store(&hook_linger_ms, linger_ms);
    atomic_store(&hook_hold, hold);
    password_test_hook(count_hook);
}

/* One hashing thread: its role (0 hashes at once; 1 first waits for two calls to hold their
 * slots), its result and how long it took. */
struct hash_arg {
    int waits_for_two; /* 2: also for every waiter's place to be taken */
    int rc;
    int64_t ms;
};

/* running_two holds when two Argon2 calls hold slots. */
static int running_two(void *unused)
{
    (void)unused;
    return atomic_load(&hook_running) == 2;
}

/* waiters_full holds when every place to wait for a slot is taken. */
static int waiters_full(void *unused)
{
    (void)unused;
    return password_waiting() == PASSWORD_WAITERS;
}

/* hash_thread hashes one password (see struct hash_arg). */
static void *hash_thread(void *p)
{
    struct hash_arg *a = p;
    char h[PASSWORD_HASH_MAX];
    int64_t t0;

    if (a->waits_for_two) {
        SUPPORT_WAIT(running_two, NULL, 10000, "two hashes never held their slots");
    }
    if (a->waits_for_two == 2) {
        SUPPORT_WAIT(waiters_full, NULL, 10000, "the waiters never queued");
    }
    t0 = support_now_ms();
    a->rc = password_hash("a password of some length", h);
    a->ms = support_now_ms() - t0;
    if (a->waits_for_two) {
        atomic_store(&hook_hold, 0); /* let the two go */
    }
    return NULL;
}

START_TEST(password_two_at_a_time)
{
    struct hash_arg args[3] = {{0, -1, 0}, {0, -1, 0}, {0, -1, 0}};

    /* Each call waits in its slot for a second one, then 300 ms more: a third that the gate let
     * in would be counted running with them. */
    hook_reset(1, 300, 0);
    support_threads_run(hash_thread, args, sizeof(args[0]), 3);
    password_test_hook(NULL);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(args[i].rc, BO_OK);
    }
    ck_assert_int_eq(atomic_load(&hook_calls), 3);
    ck_assert_int_eq(atomic_load(&hook_running), 0);
    ck_assert_int_eq(atomic_load(&hook_peak), PASSWORD_SLOTS);
}
END_TEST

START_TEST(password_slot_wait_times_out)
{
    struct hash_arg args[3] = {{0, -1, 0}, {0, -1, 0}, {1, -1, 0}};

    /* Two hashes hold both slots until the third has given up. */
    hook_reset(0, 0, 1);
    support_threads_run(hash_thread, args, sizeof(args[0]), 3);
    password_test_hook(NULL);
    ck_assert_int_eq(args[2].rc, BO_E_UNAVAILABLE);
    ck_assert_msg(args[2].ms >= PASSWORD_WAIT_MS - 50, "gave up after %lld ms",
                  (long long)args[2].ms);
    ck_assert_int_eq(args[0].rc, BO_OK);
    ck_assert_int_eq(args[1].rc, BO_OK);
    ck_assert_int_eq(atomic_load(&hook_calls), 2);
}
END_TEST

START_TEST(password_waiters_beyond_the_cap_refused_at_once)
{
    enum { HOLDERS = PASSWORD_SLOTS, N = PASSWORD_SLOTS + PASSWORD_WAITERS + 1 };
    struct hash_arg args[N];

    /* Two hold the slots, PASSWORD_WAITERS wait; one more is refused without waiting, then the
     * holders go and every waiter gets its turn. */
    for (int i = 0; i < N; i++) {
        args[i] = (struct hash_arg){i < HOLDERS ? 0 : i < N - 1 ? 1 : 2, -1, 0};
    }
    hook_reset(0, 0, 1);
    support_threads_run(hash_thread, args, sizeof(args[0]), N);
    password_test_hook(NULL);
    ck_assert_int_eq(args[N - 1].rc, BO_E_UNAVAILABLE);
    ck_assert_msg(args[N - 1].ms < PASSWORD_WAIT_MS / 2, "refused after %lld ms",
                  (long long)args[N - 1].ms);
    for (int i = 0; i < N - 1; i++) {
        ck_assert_msg(args[i].rc == BO_OK, "call %d: %s", i, bo_error_name(args[i].rc));
    }
    ck_assert_int_eq(password_waiting(), 0);
}
END_TEST

START_TEST(password_unknown_user_does_the_work)
{
    hook_reset(0, 0, 0);
    ck_assert_int_eq(password_verify(NULL, "whatever it is"), BO_E_LOGIN_FAILED);
    ck_assert_int_eq(atomic_load(&hook_calls), 1);
    ck_assert_int_eq(password_verify(NULL, NULL), BO_E_LOGIN_FAILED);
    ck_assert_int_eq(atomic_load(&hook_calls), 2);
    password_test_hook(NULL);
}
END_TEST

START_TEST(proof_cache_remembers_until_expiry)
{
    static struct proof_cache cache; /* zeroed: empty */
    struct identity who = {.user_id = 42, .kind = IDENTITY_OPERATOR, .expires_at_ms = 5000};
    struct identity got;
    char long_proof[PROOF_CACHE_TEXT_MAX + 2];
    const char *a = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.sig-a";

    ck_assert_int_eq(proof_cache_get(&cache, a, strlen(a), 1000, &got), 0);
    proof_cache_put(&cache, a, strlen(a), &who);
    ck_assert_int_eq(proof_cache_get(&cache, a, strlen(a), 1000, &got), 1);
    ck_assert_uint_eq(got.user_id, 42);
    ck_assert_int_eq(got.kind, IDENTITY_OPERATOR);
    /* Not past its expiry; not another text, even one byte off or a prefix. */
    ck_assert_int_eq(proof_cache_get(&cache, a, strlen(a), 5000, &got), 0);
    ck_assert_int_eq(proof_cache_get(&cache, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.sig-b",
                                     strlen(a), 1000, &got),
                     0);
    ck_assert_int_eq(proof_cache_get(&cache, a, strlen(a) - 1, 1000, &got), 0);
    /* A text too long to keep is never kept. */
    memset(long_proof, 'x', sizeof(long_proof) - 1);
    long_proof[sizeof(long_proof) - 1] = '\0';
    proof_cache_put(&cache, long_proof, strlen(long_proof), &who);
    ck_assert_int_eq(proof_cache_get(&cache, long_proof, strlen(long_proof), 1000, &got), 0);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {session_round_trip,
                            session_missing,
                            session_altered_byte_refused,
                            session_truncated_and_extended_refused,
                            session_expired,
                            session_wrong_secret_refused,
                            session_independent_signature_matches,
                            session_other_spellings_refused,
                            session_issue_refuses_bad_input,
                            jwt_hs256_good,
                            jwt_wrong_secret_refused,
                            jwt_altered_byte_refused,
                            jwt_exp_checked,
                            jwt_nbf_checked,
                            jwt_alg_pinned,
                            jwt_bad_sub_refused,
                            jwt_oversized_and_malformed_refused,
                            jwt_es256,
                            keys_open_refuses_bad_config,
                            verify_in_threads,
                            password_hash_and_verify,
                            password_two_at_a_time,
                            password_slot_wait_times_out,
                            password_waiters_beyond_the_cap_refused_at_once,
                            password_unknown_user_does_the_work,
                            proof_cache_remembers_until_expiry,
                            NULL};

    return support_tests_run("identity", "core", tests);
}
