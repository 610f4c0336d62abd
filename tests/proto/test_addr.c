/* Unit suite for bo_addr: listen addresses and URLs, one table of cases each. */
#include "bo_addr.h"
#include "bo_error.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

struct hostport_case {
    const char *in;
    int ok;
    const char *host;
    int port;
    int ipv6;
    int numeric;
};

static const struct hostport_case hostport_cases[] = {
    {"8080", 1, "", 8080, 0, 1},
    {"127.0.0.1:8080", 1, "127.0.0.1", 8080, 0, 1},
    {"0.0.0.0:1", 1, "0.0.0.0", 1, 0, 1},
    {"[::1]:8081", 1, "::1", 8081, 1, 1},
    {"localhost:65535", 1, "localhost", 65535, 0, 0},
    {"redis-host:6379", 1, "redis-host", 6379, 0, 0},
    {"", 0, NULL, 0, 0, 0},
    {"0", 0, NULL, 0, 0, 0},
    {"65536", 0, NULL, 0, 0, 0},
    {"80a", 0, NULL, 0, 0, 0},
    {"+80", 0, NULL, 0, 0, 0},
    {"host:", 0, NULL, 0, 0, 0},
    {":80", 0, NULL, 0, 0, 0},
    {"host:80:90", 0, NULL, 0, 0, 0},
    {"[::1]", 0, NULL, 0, 0, 0},
    {"[::1]x80", 0, NULL, 0, 0, 0},
    {"[nothex]:80", 0, NULL, 0, 0, 0},
    {"[::1:80", 0, NULL, 0, 0, 0},
    {"ho st:80", 0, NULL, 0, 0, 0},
    {"host:8080 ", 0, NULL, 0, 0, 0},
};

START_TEST(hostport_table)
{
    const struct hostport_case *c = &hostport_cases[_i];
    struct bo_hostport hp;
    int rc = bo_hostport_parse(c->in, strlen(c->in), &hp);

    ck_assert_msg((rc == BO_OK) == c->ok, "'%s': expected %s, got %d", c->in,
                  c->ok ? "ok" : "refusal", rc);
    if (c->ok) {
        ck_assert_str_eq(hp.host, c->host);
        ck_assert_int_eq(hp.port, c->port);
        ck_assert_int_eq(hp.ipv6, c->ipv6);
        ck_assert_int_eq(bo_hostport_is_numeric(&hp), c->numeric);
    }
}
END_TEST

START_TEST(hostport_reads_only_len_bytes)
{
    struct bo_hostport hp;
    const char *list = "127.0.0.1:8080,[::1]:8081";

    ck_assert_int_eq(bo_hostport_parse(list, 14, &hp), BO_OK);
    ck_assert_str_eq(hp.host, "127.0.0.1");
    ck_assert_int_eq(hp.port, 8080);
    ck_assert_int_eq(bo_hostport_parse(list + 15, strlen(list + 15), &hp), BO_OK);
    ck_assert_str_eq(hp.host, "::1");
}
END_TEST

struct url_case {
    const char *in;
    int ok;
    const char *scheme, *user, *password, *host;
    int port;
    const char *path;
};

static const struct url_case url_cases[] = {
    {"redis://127.0.0.1:6379", 1, "redis", "", "", "127.0.0.1", 6379, ""},
    {"redis://:s3cret@cache:6380/2", 1, "redis", "", "s3cret", "cache", 6380, "/2"},
    {"redis://admin:p%40ss@[::1]/0", 1, "redis", "admin", "p@ss", "::1", 0, "/0"},
    {"REDIS://host", 1, "redis", "", "", "host", 0, ""},
    {"http://127.0.0.1:8081/", 1, "http", "", "", "127.0.0.1", 8081, "/"},
    {"https://push.example.org/base/path", 1, "https", "", "", "push.example.org", 0, "/base/path"},
    {"tcp://127.0.0.1:7700", 1, "tcp", "", "", "127.0.0.1", 7700, ""},
    {"127.0.0.1:6379", 0, NULL, NULL, NULL, NULL, 0, NULL},
    {"://host", 0, NULL, NULL, NULL, NULL, 0, NULL},
    {"redis://", 0, NULL, NULL, NULL, NULL, 0, NULL},
    {"redis://host:0", 0, NULL, NULL, NULL, NULL, 0, NULL},
    {"redis://host:99999", 0, NULL, NULL, NULL, NULL, 0, NULL},
    {"redis://host:12ab", 0, NULL, NULL, NULL, NULL, 0, NULL},
    {"redis://host?db=1", 0, NULL, NULL, NULL, NULL, 0, NULL},
    {"http://host/x#frag", 0, NULL, NULL, NULL, NULL, 0, NULL},
    {"redis://:bad%zzpw@host", 0, NULL, NULL, NULL, NULL, 0, NULL},
    {"redis://:trunc%4@host", 0, NULL, NULL, NULL, NULL, 0, NULL},
    {"redis://:nul%00@host", 0, NULL, NULL, NULL, NULL, 0, NULL},
    {"red is://host", 0, NULL, NULL, NULL, NULL, 0, NULL},
    {"redis://[::1", 0, NULL, NULL, NULL, NULL, 0, NULL},
};

START_TEST(url_table)
{
    const struct url_case *c = &url_cases[_i];
    struct bo_url u;
    int rc = bo_url_parse(c->in, &u);

    ck_assert_msg((rc == BO_OK) == c->ok, "'%s': expected %s, got %d", c->in,
                  c->ok ? "ok" : "refusal", rc);
    if (c->ok) {
        ck_assert_str_eq(u.scheme, c->scheme);
        ck_assert_str_eq(u.user, c->user);
        ck_assert_str_eq(u.password, c->password);
        ck_assert_str_eq(u.host, c->host);
        ck_assert_int_eq(u.port, c->port);
        ck_assert_str_eq(u.path, c->path);
    }
}
END_TEST

START_TEST(url_password_presence)
{
    struct bo_url u;

    ck_assert_int_eq(bo_url_parse("redis://user@host", &u), BO_OK);
    ck_assert_int_eq(u.has_password, 0);
    ck_assert_str_eq(u.user, "user");
    ck_assert_int_eq(bo_url_parse("redis://user:@host", &u), BO_OK);
    ck_assert_int_eq(u.has_password, 1);
    ck_assert_str_eq(u.password, "");
}
END_TEST

START_TEST(url_too_long_parts_refused)
{
    char url[BO_ADDR_HOST_MAX + 32];
    struct bo_url u;

    memset(url, 'a', sizeof(url));
    memcpy(url, "redis://", 8);
    url[sizeof(url) - 1] = '\0';
    ck_assert_int_eq(bo_url_parse(url, &u), BO_E_INVALID_ARGUMENT);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("addr");
    TCase *tc = tcase_create("parse");
    SRunner *sr;
    int failed;

    tcase_add_loop_test(tc, hostport_table, 0,
                        (int)(sizeof(hostport_cases) / sizeof(hostport_cases[0])));
    tcase_add_test(tc, hostport_reads_only_len_bytes);
    tcase_add_loop_test(tc, url_table, 0, (int)(sizeof(url_cases) / sizeof(url_cases[0])));
    tcase_add_test(tc, url_password_presence);
    tcase_add_test(tc, url_too_long_parts_refused);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
