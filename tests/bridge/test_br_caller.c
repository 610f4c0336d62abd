/* Unit suite for br_caller: the proof read from Authorization, the client's address from the
 * peer or a trusted proxy's X-Forwarded-For, both from a request's headers; no servers. */
#include "bo_error.h"
#include "br_caller.h"

#include "support.h"

#include <check.h>
#include <civetweb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Authorization ------------------------------------------------------------------------ */

struct proof_case {
    const char *value; /* the header's value; NULL: no header */
    int rc;
    const char *proof; /* with BO_OK */
};

static const struct proof_case proof_cases[] = {
    {NULL, BO_OK, ""},
    {"Bearer s1.7.1764032710.AAAAAAAAAAAAAAAAAAAAAA.c2ln", BO_OK,
     "s1.7.1764032710.AAAAAAAAAAAAAAAAAAAAAA.c2ln"},
    {"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3In0.sig-_", BO_OK,
     "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3In0.sig-_"},
    {"bearer abc", BO_OK, "abc"},
    {"BEARER abc", BO_OK, "abc"},
    {"Bearer   abc  ", BO_OK, "abc"},
    {"Bearer abc\t", BO_OK, "abc"},
    {"Bearer a+b/c~d==", BO_OK, "a+b/c~d=="},
    {"", BO_E_SESSION_INVALID, NULL},
    {"Bearer", BO_E_SESSION_INVALID, NULL},
    {"Bearer ", BO_E_SESSION_INVALID, NULL},
    {"Bearer    ", BO_E_SESSION_INVALID, NULL},
    {"Basic dXNlcjpwYXNz", BO_E_SESSION_INVALID, NULL},
    {"Bearerabc", BO_E_SESSION_INVALID, NULL},
    {"Bearer\tabc", BO_E_SESSION_INVALID, NULL},
    {" Bearer abc", BO_E_SESSION_INVALID, NULL},
    {"Bearer a b", BO_E_SESSION_INVALID, NULL},
    {"Bearer a,b", BO_E_SESSION_INVALID, NULL},
    {"Bearer a=b", BO_E_SESSION_INVALID, NULL},
    {"Bearer =", BO_E_SESSION_INVALID, NULL},
    {"Bearer \"abc\"", BO_E_SESSION_INVALID, NULL},
    {"Bearer abc\xc3\xa9", BO_E_SESSION_INVALID, NULL},
    {"Token abc", BO_E_SESSION_INVALID, NULL},
};

/* check_proof checks one row of proof_cases. */
static void check_proof(const struct proof_case *c)
{
    char proof[BO_PROOF_MAX + 1];

    memset(proof, 'x', sizeof(proof));
    int rc = br_caller_proof(c->value, proof);
    ck_assert_msg(rc == c->rc, "'%s': expected %d, got %d", c->value != NULL ? c->value : "(none)",
                  c->rc, rc);
    if (rc == BO_OK) {
        ck_assert_str_eq(proof, c->proof);
    }
}

SUPPORT_TABLE_TEST(proof_table, proof_cases, check_proof)

/* A proof of BO_PROOF_MAX characters passes whole; one more is refused. */
START_TEST(proof_length)
{
    static char value[BO_PROOF_MAX + 16];
    static char proof[BO_PROOF_MAX + 1];
    size_t n = (size_t)snprintf(value, sizeof(value), "Bearer ");

    memset(value + n, 'a', BO_PROOF_MAX);
    value[n + BO_PROOF_MAX] = '\0';
    ck_assert_int_eq(br_caller_proof(value, proof), BO_OK);
    ck_assert_uint_eq(strlen(proof), BO_PROOF_MAX);
    value[n + BO_PROOF_MAX] = 'a';
    value[n + BO_PROOF_MAX + 1] = '\0';
    ck_assert_int_eq(br_caller_proof(value, proof), BO_E_SESSION_INVALID);
}
END_TEST

/* ---- the client's address ------------------------------------------------------------------ */

struct addr_case {
    const char *trusted; /* the trusted proxy ("": none) */
    const char *peer;
    const char *xff; /* the last X-Forwarded-For; NULL: none */
    const char *addr;
};

static const struct addr_case addr_cases[] = {
    /* no trusted proxy: the peer, whatever the header says */
    {"", "127.0.0.1", NULL, "127.0.0.1"},
    {"", "127.0.0.1", "203.0.113.9", "127.0.0.1"},
    {"", "::1", NULL, "::1"},
    {"", "::ffff:192.0.2.1", NULL, "192.0.2.1"},
    {"", "2001:DB8:0:0::1", NULL, "2001:db8::1"},
    /* from another peer than the trusted proxy: the peer */
    {"10.0.0.7", "10.0.0.8", "203.0.113.9", "10.0.0.8"},
    {"::1", "127.0.0.1", "203.0.113.9", "127.0.0.1"},
    /* from the trusted proxy: the last hop, when it is an address */
    {"10.0.0.7", "10.0.0.7", "203.0.113.9", "203.0.113.9"},
    {"10.0.0.7", "::ffff:10.0.0.7", "203.0.113.9", "203.0.113.9"},
    {"10.0.0.7", "10.0.0.7", "198.51.100.1, 203.0.113.9", "203.0.113.9"},
    {"10.0.0.7", "10.0.0.7", "198.51.100.1,203.0.113.9 ", "203.0.113.9"},
    {"10.0.0.7", "10.0.0.7", "forged, 2001:DB8::9", "2001:db8::9"},
    {"::1", "::1", "\t192.0.2.44\t", "192.0.2.44"},
    {"10.0.0.7", "10.0.0.7", NULL, "10.0.0.7"},
    {"10.0.0.7", "10.0.0.7", "", "10.0.0.7"},
    {"10.0.0.7", "10.0.0.7", "203.0.113.9,", "10.0.0.7"},
    {"10.0.0.7", "10.0.0.7", "unknown", "10.0.0.7"},
    {"10.0.0.7", "10.0.0.7", "203.0.113.9:4711", "10.0.0.7"},
    {"10.0.0.7", "10.0.0.7", "[2001:db8::9]", "10.0.0.7"},
    {"10.0.0.7", "10.0.0.7", "203.0.113.9, proxy.local", "10.0.0.7"},
    {"10.0.0.7", "10.0.0.7", "2001:db8:1:2:3:4:5:6:7:8:9:10:11:12:13:14:15", "10.0.0.7"},
};

/* trusted_ip reads text (a valid address or "") as the trusted proxy. */
static struct br_ip trusted_ip(const char *text)
{
    struct br_ip ip;

    memset(&ip, 0, sizeof(ip));
    if (text[0] != '\0') {
        ck_assert_int_eq(br_caller_ip_parse(text, strlen(text), &ip), BO_OK);
    }
    return ip;
}

/* check_addr checks one row of addr_cases. */
static void check_addr(const struct addr_case *c)
{
    struct br_ip trusted = trusted_ip(c->trusted);
    char out[BR_CALLER_ADDR_MAX];

    br_caller_addr(&trusted, c->peer, c->xff, out);
    ck_assert_msg(strcmp(out, c->addr) == 0,
                  "trusted '%s', peer %s, X-Forwarded-For '%s': want %s, got %s", c->trusted,
                  c->peer, c->xff != NULL ? c->xff : "(none)", c->addr, out);
}

SUPPORT_TABLE_TEST(addr_table, addr_cases, check_addr)

/* Addresses: equal however written; none equals nothing, not even none. */
START_TEST(ip_equal)
{
    struct br_ip a = trusted_ip("::ffff:127.0.0.1");
    struct br_ip b = trusted_ip("127.0.0.1");
    struct br_ip c = trusted_ip("::1");
    struct br_ip none = trusted_ip("");
    char text[BR_CALLER_ADDR_MAX];

    ck_assert(br_caller_ip_equal(&a, &b));
    ck_assert(!br_caller_ip_equal(&a, &c));
    ck_assert(!br_caller_ip_equal(&none, &none));
    ck_assert(!br_caller_ip_equal(&none, &b));
    br_caller_ip_format(&none, text);
    ck_assert_str_eq(text, "");
    ck_assert_int_eq(br_caller_ip_parse("127.0.0.1x", 9, &a), BO_OK); /* the length given */
    ck_assert_int_eq(br_caller_ip_parse("", 0, &a), BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(a.family, 0);
}
END_TEST

/* ---- a whole request ------------------------------------------------------------------------ */

/* request_info fills ri as civetweb would for peer with the header pairs (name, value, ...,
 * NULL). */
static void request_info(struct mg_request_info *ri, const char *peer, const char *const *headers)
{
    memset(ri, 0, sizeof(*ri));
    snprintf(ri->remote_addr, sizeof(ri->remote_addr), "%s", peer);
    for (int i = 0; headers[2 * i] != NULL; i++) {
        ri->http_headers[i].name = headers[2 * i];
        ri->http_headers[i].value = headers[2 * i + 1];
        ri->num_headers = i + 1;
    }
}

START_TEST(read_request)
{
    static const char *const plain[] = {"Host", "x", "Content-Type", "application/json", NULL};
    static const char *const full[] = {"x-forwarded-for",
                                       "198.51.100.1",
                                       "AUTHORIZATION",
                                       "Bearer tok.en",
                                       "X-Forwarded-For",
                                       "198.51.100.2, 203.0.113.9",
                                       NULL};
    static const char *const twice[] = {"Authorization", "Bearer a", "Authorization", "Bearer b",
                                        NULL};
    static const char *const basic[] = {"Authorization", "Basic YTpi", NULL};
    struct br_ip proxy = trusted_ip("10.0.0.7");
    struct br_ip none = trusted_ip("");
    struct mg_request_info ri;
    static struct br_caller who;

    request_info(&ri, "127.0.0.1", plain);
    ck_assert_int_eq(br_caller_read(&ri, &none, &who), BO_OK);
    ck_assert_str_eq(who.proof, "");
    ck_assert_str_eq(who.addr, "127.0.0.1");

    /* the last X-Forwarded-For header holds the last hop */
    request_info(&ri, "10.0.0.7", full);
    ck_assert_int_eq(br_caller_read(&ri, &proxy, &who), BO_OK);
    ck_assert_str_eq(who.proof, "tok.en");
    ck_assert_str_eq(who.addr, "203.0.113.9");
    ck_assert_int_eq(br_caller_read(&ri, &none, &who), BO_OK);
    ck_assert_str_eq(who.addr, "10.0.0.7");

    request_info(&ri, "127.0.0.1", twice);
    ck_assert_int_eq(br_caller_read(&ri, &none, &who), BO_E_SESSION_INVALID);
    request_info(&ri, "127.0.0.1", basic);
    ck_assert_int_eq(br_caller_read(&ri, &none, &who), BO_E_SESSION_INVALID);
    ck_assert_str_eq(who.addr, "127.0.0.1");
}
END_TEST

int main(void)
{
    const TTest *tests[] = {proof_table, proof_length, addr_table, ip_equal, read_request, NULL};

    return support_tests_run("br_caller", "caller", tests);
}
