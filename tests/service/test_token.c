/*
 * test_token: the signed queue token. A token must round-trip, and every
 * altered, truncated, extended or foreign token must be refused, because the
 * service trusts the ids in a token only through this check.
 */
#include "bo_error.h"
#include "sign.h"
#include "support.h"
#include "token.h"

#include <check.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET "test-secret-0123456789"

static void sign_ok(uint64_t c, uint64_t u, uint64_t s, char out[TOKEN_TEXT_MAX])
{
    int rc = token_sign(SECRET, c, u, s, out, TOKEN_TEXT_MAX);
    ck_assert_int_eq(rc, BO_OK);
}

/* verify_code returns what token_verify says of text under SECRET. */
static int verify_code(const char *text)
{
    uint64_t c = 0, u = 0, s = 0;
    return token_verify(SECRET, text, &c, &u, &s);
}

/* sign_raw appends to head the signature token.h specifies, computed here independently, so
 * tests can show the parser refuses a spelling even when its signature is right. */
static void sign_raw(const char *head, char *out, size_t outlen)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    char sig[64];
    size_t o = 0;

    ck_assert_ptr_nonnull(HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET),
                               (const unsigned char *)head, strlen(head), mac, &maclen));
    ck_assert_uint_eq(maclen, 32);
    for (unsigned i = 0; i < maclen; i += 3) {
        uint32_t v = (uint32_t)mac[i] << 16;
        if (i + 1 < maclen) {
            v |= (uint32_t)mac[i + 1] << 8;
        }
        if (i + 2 < maclen) {
            v |= mac[i + 2];
        }
        sig[o++] = b64[(v >> 18) & 63];
        sig[o++] = b64[(v >> 12) & 63];
        if (i + 1 < maclen) {
            sig[o++] = b64[(v >> 6) & 63];
        }
        if (i + 2 < maclen) {
            sig[o++] = b64[v & 63];
        }
    }
    sig[o] = '\0';
    snprintf(out, outlen, "%s.%s", head, sig);
}

START_TEST(round_trip)
{
    char t[TOKEN_TEXT_MAX];
    uint64_t c = 0, u = 0, s = 0;

    sign_ok(3, 42, 7, t);
    ck_assert(strncmp(t, "v1.3.42.7.", 10) == 0);
    ck_assert_uint_eq(strlen(t), 10 + 43);
    ck_assert_int_eq(token_verify(SECRET, t, &c, &u, &s), BO_OK);
    ck_assert_uint_eq(c, 3);
    ck_assert_uint_eq(u, 42);
    ck_assert_uint_eq(s, 7);

    /* The largest ids still fit. */
    sign_ok(UINT64_MAX, UINT64_MAX, UINT64_MAX, t);
    ck_assert_int_eq(token_verify(SECRET, t, &c, &u, &s), BO_OK);
    ck_assert_uint_eq(c, UINT64_MAX);
    ck_assert_uint_eq(u, UINT64_MAX);
    ck_assert_uint_eq(s, UINT64_MAX);
    ck_assert_uint_lt(strlen(t), TOKEN_TEXT_MAX);
}
END_TEST

START_TEST(signature_is_deterministic_and_keyed)
{
    char a[TOKEN_TEXT_MAX], b[TOKEN_TEXT_MAX], other[TOKEN_TEXT_MAX];

    sign_ok(1, 2, 3, a);
    sign_ok(1, 2, 3, b);
    ck_assert_str_eq(a, b);
    ck_assert_int_eq(token_sign("another secret", 1, 2, 3, other, sizeof(other)), BO_OK);
    ck_assert_str_ne(a, other);
    /* Only base64url characters, no padding. */
    ck_assert_uint_eq(strspn(a + strlen("v1.1.2.3."),
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                             "0123456789-_"),
                      43);
}
END_TEST

START_TEST(wrong_secret_refused)
{
    char t[TOKEN_TEXT_MAX];
    uint64_t c = 99, u = 99, s = 99;

    sign_ok(1, 2, 3, t);
    ck_assert_int_eq(token_verify("not the secret", t, &c, &u, &s), BO_E_TOKEN_INVALID);
    /* Out-parameters stay untouched on failure. */
    ck_assert_uint_eq(c, 99);
    ck_assert_uint_eq(u, 99);
    ck_assert_uint_eq(s, 99);
    /* A service without a secret refuses everything rather than accepting anything. */
    ck_assert_int_ne(token_verify("", t, &c, &u, &s), BO_OK);
    ck_assert_int_ne(token_verify(NULL, t, &c, &u, &s), BO_OK);
}
END_TEST

START_TEST(missing)
{
    ck_assert_int_eq(verify_code(NULL), BO_E_TOKEN_MISSING);
    ck_assert_int_eq(verify_code(""), BO_E_TOKEN_MISSING);
}
END_TEST

/* refuse_every_change changes each character of t at [from, to) but the dots, in turn, to
 * every other character of alphabet, and fails unless each such token is refused; t is as
 * before afterwards. */
static void refuse_every_change(char *t, size_t from, size_t to, const char *alphabet)
{
    for (size_t i = from; i < to; i++) {
        char orig = t[i];
        if (orig == '.') {
            continue;
        }
        for (const char *a = alphabet; *a != '\0'; a++) {
            if (*a == orig) {
                continue;
            }
            t[i] = *a;
            ck_assert_msg(verify_code(t) == BO_E_TOKEN_INVALID, "accepted %s", t);
        }
        t[i] = orig;
    }
}

START_TEST(changed_id_digit_refused)
{
    char t[TOKEN_TEXT_MAX];

    sign_ok(12, 345, 6789, t);
    ck_assert_int_eq(verify_code(t), BO_OK);
    /* Every digit of every id, changed to every other digit: "v1.12.345.6789.". */
    refuse_every_change(t, 3, 15, "0123456789");
    ck_assert_int_eq(verify_code(t), BO_OK);
}
END_TEST

START_TEST(swapped_ids_refused)
{
    char t[TOKEN_TEXT_MAX], swapped[2 * TOKEN_TEXT_MAX];

    sign_ok(1, 2, 3, t);
    /* Same signature on "v1.2.1.3": the user and concert trade places. */
    snprintf(swapped, sizeof(swapped), "v1.2.1.3%s", t + 7);
    ck_assert_int_eq(verify_code(swapped), BO_E_TOKEN_INVALID);
}
END_TEST

START_TEST(changed_signature_char_refused)
{
    char t[TOKEN_TEXT_MAX];

    sign_ok(5, 6, 7, t);
    /* Every character of the signature, changed to every other base64 (and padding) one. */
    refuse_every_change(t, strlen("v1.5.6.7."), strlen(t),
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.");
    ck_assert_int_eq(verify_code(t), BO_OK);
}
END_TEST

/* A good token with text around it: head, then the token from its byte from on, then tail. */
struct around {
    const char *head;
    size_t from;
    const char *tail;
};

START_TEST(truncated_and_extended_refused)
{
    static const struct around arounds[] = {
        {"", 0, "="},          {"", 0, "A"}, {"", 0, "."},      {"", 0, ".extra"},
        {" ", 0, ""},          {"", 0, " "}, {"v1.5.6", 7, ""}, /* only the signature part: four
                                                                   parts */
        {"v1.5.6.7.7", 7, ""}, /* an extra id in the middle: six parts */
    };
    char t[TOKEN_TEXT_MAX], x[2 * TOKEN_TEXT_MAX];
    size_t len;

    sign_ok(5, 6, 7, t);
    len = strlen(t);
    for (size_t n = 1; n < len; n++) {
        memcpy(x, t, n);
        x[n] = '\0';
        ck_assert_msg(verify_code(x) == BO_E_TOKEN_INVALID, "accepted prefix %s", x);
    }
    for (size_t i = 0; i < sizeof(arounds) / sizeof(arounds[0]); i++) {
        snprintf(x, sizeof(x), "%s%s%s", arounds[i].head, t + arounds[i].from, arounds[i].tail);
        ck_assert_msg(verify_code(x) == BO_E_TOKEN_INVALID, "accepted %s", x);
    }
}
END_TEST

/* Tokens that are not tokens at all. */
static const char *const malformed[] = {
    ".",
    "....",
    ".....",
    "v1",
    "v1.",
    "v1.1.2.3",
    "v1.1.2.3.",
    "v2.1.2.3.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "V1.1.2.3.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "v1.1.2.3.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "garbage",
    "v1.a.b.c.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
};

/* check_refused fails unless *text is refused as invalid. */
static void check_refused(const char *const *text)
{
    ck_assert_msg(verify_code(*text) == BO_E_TOKEN_INVALID, "accepted %s", *text);
}

SUPPORT_TABLE_TEST(malformed_refused, malformed, check_refused)

START_TEST(independent_signature_matches)
{
    char t[TOKEN_TEXT_MAX], x[TOKEN_TEXT_MAX];

    /* sign_raw must agree with token_sign, else the spelling tests below prove nothing. */
    sign_ok(5, 6, 7, t);
    sign_raw("v1.5.6.7", x, sizeof(x));
    ck_assert_str_eq(t, x);
    ck_assert_int_eq(verify_code(x), BO_OK);
}
END_TEST

/* Other spellings of the ids 5, 6 and 7, each to be signed correctly. */
static const char *const other_spellings[] = {
    "v1.05.6.7", "v1.5.06.7",  "v1.5.6.07",  "v1.+5.6.7",  "v1.-5.6.7", "v1. 5.6.7",
    "v1.5.6.7 ", "v1.5.6.0x7", "v1.5.6.7e0", "v1.005.6.7", "v2.5.6.7",  "v1.5.6.7.8",
    "v1..6.7",   "v1.5.6",     "5.6.7",      "v1.5.6.7.",
};

/* Ids out of range, each to be signed correctly. */
static const char *const huge_and_zero[] = {
    "v1.18446744073709551616.6.7",         /* UINT64_MAX + 1 */
    "v1.5.99999999999999999999.7",         /* 20 digits, overflows */
    "v1.5.6.184467440737095516150",        /* 21 digits */
    "v1.5.6.1000000000000000000000000000", /* far too long */
    "v1.0.6.7",
    "v1.5.0.7",
    "v1.5.6.0",
};

/* check_signed_refused fails unless *head, signed with the right signature, is refused. */
static void check_signed_refused(const char *const *head)
{
    char x[2 * TOKEN_TEXT_MAX];

    sign_raw(*head, x, sizeof(x));
    ck_assert_msg(verify_code(x) == BO_E_TOKEN_INVALID, "accepted %s", x);
}

SUPPORT_TABLE_TEST(other_spellings_of_same_ids_refused, other_spellings, check_signed_refused)
SUPPORT_TABLE_TEST(huge_and_zero_numbers_refused, huge_and_zero, check_signed_refused)

START_TEST(overlong_refused)
{
    char x[4096];

    memset(x, '1', sizeof(x) - 1);
    x[sizeof(x) - 1] = '\0';
    memcpy(x, "v1.", 3);
    ck_assert_int_eq(verify_code(x), BO_E_TOKEN_INVALID);
}
END_TEST

START_TEST(sign_refuses_bad_input)
{
    char t[TOKEN_TEXT_MAX];
    char small[20];

    ck_assert_int_ne(token_sign("", 1, 2, 3, t, sizeof(t)), BO_OK);
    ck_assert_int_ne(token_sign(NULL, 1, 2, 3, t, sizeof(t)), BO_OK);
    ck_assert_int_eq(token_sign(SECRET, 0, 2, 3, t, sizeof(t)), BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(token_sign(SECRET, 1, 0, 3, t, sizeof(t)), BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(token_sign(SECRET, 1, 2, 0, t, sizeof(t)), BO_E_INVALID_ARGUMENT);
    memset(small, 'x', sizeof(small));
    ck_assert_int_eq(token_sign(SECRET, 1, 2, 3, small, sizeof(small)), BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(small[0], 'x'); /* untouched on failure */
}
END_TEST

/* The kept keyed states (sign.c) give OpenSSL's HMAC() bytes for keys shorter than, as long
 * as and longer than a SHA-256 block, longer than the states kept, and taken in turns (more
 * keys than a thread keeps), so a state never answers for another key. */
START_TEST(mac_matches_hmac_for_any_key)
{
    static const size_t lens[] = {1, 32, 63, 64, 65, 200, 255, 256, 300};
    const char *msg = "v1.1.2.3";
    char key[301], want[SIGN_MAC_TEXT_LEN + 1], got[SIGN_MAC_TEXT_LEN + 1];
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;

    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
            memset(key, 'a' + (int)i, lens[i]);
            key[lens[i]] = '\0';
            ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, (int)lens[i], (const unsigned char *)msg,
                                       strlen(msg), mac, &maclen));
            sign_b64url_encode(mac, maclen, want);
            ck_assert_int_eq(sign_mac(key, msg, strlen(msg), got), BO_OK);
            ck_assert_str_eq(got, want);
            ck_assert_int_eq(sign_verify(key, msg, strlen(msg), want), BO_OK);
            key[0] ^= 1; /* the same length, another key */
            ck_assert_int_eq(sign_verify(key, msg, strlen(msg), want), BO_E_INVALID_ARGUMENT);
        }
    }
    ck_assert_int_ne(sign_mac("", msg, strlen(msg), got), BO_OK);
    ck_assert_int_ne(sign_mac(NULL, msg, strlen(msg), got), BO_OK);
}
END_TEST

START_TEST(public_id)
{
    char id[64];

    token_id(3, 17, id, sizeof(id));
    ck_assert_str_eq(id, "3-17");
    token_id(UINT64_MAX, 1, id, sizeof(id));
    ck_assert_str_eq(id, "18446744073709551615-1");
}
END_TEST

int main(void)
{
    const TTest *tests[] = {round_trip,
                            signature_is_deterministic_and_keyed,
                            wrong_secret_refused,
                            missing,
                            changed_id_digit_refused,
                            swapped_ids_refused,
                            changed_signature_char_refused,
                            truncated_and_extended_refused,
                            malformed_refused,
                            independent_signature_matches,
                            other_spellings_of_same_ids_refused,
                            huge_and_zero_numbers_refused,
                            overlong_refused,
                            sign_refuses_bad_input,
                            public_id,
                            mac_matches_hmac_for_any_key,
                            NULL};

    return support_tests_run("token", "core", tests);
}
