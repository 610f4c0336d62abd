/* Unit suite for bo_addr: listen addresses and URLs, a table of accepted and one of refused
 * inputs each. */
#include "bo_addr.h"
#include "bo_error.h"
#include "support.h"

#include <check.h>
#include <string.h>

/* A host:port that parses, and what it parses into. */
struct hostport_case {
    const char *in;
    const char *host;
    int port;
    int ipv6;
    int numeric;
};

static const struct hostport_case hostport_cases[] = {
    {"8080", "", 8080, 0, 1},
    {"127.0.0.1:8080", "127.0.0.1", 8080, 0, 1},
    {"0.0.0.0:1", "0.0.0.0", 1, 0, 1},
    {"[::1]:8081", "::1", 8081, 1, 1},
    {"localhost:65535", "localhost", 65535, 0, 0},
    {"redis-host:6379", "redis-host", 6379, 0, 0},
};

/* check_hostport checks one row of hostport_cases. */
static void check_hostport(const struct hostport_case *c)
{
    struct bo_hostport hp;
    int rc = bo_hostport_parse(c->in, strlen(c->in), &hp);

    ck_assert_msg(rc == BO_OK, "'%s': refused with %d", c->in, rc);
    ck_assert_str_eq(hp.host, c->host);
    ck_assert_int_eq(hp.port, c->port);
    ck_assert_int_eq(hp.ipv6, c->ipv6);
    ck_assert_int_eq(bo_hostport_is_numeric(&hp), c->numeric);
}

SUPPORT_TABLE_TEST(hostport_table, hostport_cases, check_hostport)

/* Host:ports that do not parse. */
static const char *const hostport_refusals[] = {
    "",           "0",     "65536",    "80a",         "+80",     "host:",    ":80",
    "host:80:90", "[::1]", "[::1]x80", "[nothex]:80", "[::1:80", "ho st:80", "host:8080 ",
};

/* check_hostport_refused checks one row of hostport_refusals. */
static void check_hostport_refused(const char *const *in)
{
    struct bo_hostport hp;
    int rc = bo_hostport_parse(*in, strlen(*in), &hp);

    ck_assert_msg(rc != BO_OK, "'%s': expected refusal, got %d", *in, rc);
}

SUPPORT_TABLE_TEST(hostport_refused_table, hostport_refusals, check_hostport_refused)

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

/* A URL that parses, and what it parses into. */
struct url_case {
    const char *in;
    const char *scheme, *user, *password, *host;
    int port;
    const char *path;
};

static const struct url_case url_cases[] = {
    {"redis://127.0.0.1:6379", "redis", "", "", "127.0.0.1", 6379, ""},
    {"redis://:s3cret@cache:6380/2", "redis", "", "s3cret", "cache", 6380, "/2"},
    {"redis://admin:p%40ss@[::1]/0", "redis", "admin", "p@ss", "::1", 0, "/0"},
    {"REDIS://host", "redis", "", "", "host", 0, ""},
    {"http://127.0.0.1:8081/", "http", "", "", "127.0.0.1", 8081, "/"},
    {"https://push.example.org/base/path", "https", "", "", "push.example.org", 0, "/base/path"},
    {"tcp://127.0.0.1:7700", "tcp", "", "", "127.0.0.1", 7700, ""},
};

/* check_url checks one row of url_cases. */
static void check_url(const struct url_case *c)
{
    struct bo_url u;
    int rc = bo_url_parse(c->in, &u);

    ck_assert_msg(rc == BO_OK, "'%s': refused with %d", c->in, rc);
    ck_assert_str_eq(u.scheme, c->scheme);
    ck_assert_str_eq(u.user, c->user);
    ck_assert_str_eq(u.password, c->password);
    ck_assert_str_eq(u.host, c->host);
    ck_assert_int_eq(u.port, c->port);
    ck_assert_str_eq(u.path, c->path);
}

SUPPORT_TABLE_TEST(url_table, url_cases, check_url)

/* URLs that do not parse. */
static const char *const url_refusals[] = {
    "127.0.0.1:6379",
    "://host",
    "redis://",
    "redis://host:0",
    "redis://host:99999",
    "redis://host:12ab",
    "redis://host?db=1",
    "http://host/x#frag",
    "redis://:bad%zzpw@host",
    "redis://:trunc%4@host",
    "redis://:nul%00@host",
    "red is://host",
    "redis://[::1",
};

/* check_url_refused checks one row of url_refusals. */
static void check_url_refused(const char *const *in)
{
    struct bo_url u;
    int rc = bo_url_parse(*in, &u);

    ck_assert_msg(rc != BO_OK, "'%s': expected refusal, got %d", *in, rc);
}

SUPPORT_TABLE_TEST(url_refused_table, url_refusals, check_url_refused)

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
    const TTest *tests[] = {
        hostport_table,    hostport_refused_table, hostport_reads_only_len_bytes, url_table,
        url_refused_table, url_password_presence,  url_too_long_parts_refused,    NULL};

    return support_tests_run("addr", "parse", tests);
}
