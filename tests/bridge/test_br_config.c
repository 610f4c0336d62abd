/* Unit suite for br_config: which listen addresses, push URLs, trusted proxies and edge
 * limits files the bridge accepts, and the push base URL derived from them, no servers. */
#include "bo_error.h"
#include "br_config.h"

#include "support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* load runs br_config_load on the flags (and --rpc-urls), returning its code. */
static int load(struct br_config *cfg, const char *listen, const char *push_listen,
                const char *public_url)
{
    char a1[300];
    char a2[300];
    char a3[300];
    char prog[] = "boxoffice-bridge";
    char rpc[] = "--rpc-urls=tcp://127.0.0.1:7700";
    char *argv[] = {prog, a1, a2, a3, rpc, NULL};
    char err[512];
    int exit_now = 0;

    snprintf(a1, sizeof(a1), "--listen=%s", listen);
    snprintf(a2, sizeof(a2), "--push-listen=%s", push_listen);
    snprintf(a3, sizeof(a3), "--push-public-url=%s", public_url);
    memset(cfg, 0, sizeof(*cfg));
    int rc = br_config_load(cfg, 5, argv, &exit_now, err, sizeof(err));
    ck_assert_int_eq(exit_now, 0);
    if (rc != BO_OK) {
        ck_assert_msg(err[0] != '\0', "a refusal says why");
    }
    return rc;
}

struct listen_case {
    const char *listen;
    int ok;
};

/* What civetweb reads right: "PORT", "IPV4:PORT", "[IPV6]:PORT", comma-separated. */
static const struct listen_case listen_cases[] = {
    {"8080", 1},
    {"127.0.0.1:8080", 1},
    {"0.0.0.0:80", 1},
    {"[::1]:8080", 1},
    {"[::]:65535", 1},
    {"127.0.0.1:8080,[::1]:8081", 1},
    {"8080,8443", 1},
    {"08080", 1},
    {"", 0},
    {"localhost:8080", 0},
    {"127.0.0.1:0", 0},
    {"127.0.0.1:65536", 0},
    {"127.0.0.1:", 0},
    {":8080", 0},
    {"8080s", 0},
    {"127.0.0.1:8443s", 0},
    {"1.2.3:80", 0},
    {"1.2.3.4.5:80", 0},
    {"256.0.0.1:80", 0},
    {"[::1]", 0},
    {"::1:8080", 0},
    {"8080,", 0},
    {",8080", 0},
    {"127.0.0.1:8080,localhost:8081", 0},
};

/* check_listen_table checks one row of listen_cases. */
static void check_listen_table(const struct listen_case *c)
{
    struct br_config cfg;
    int rc = load(&cfg, c->listen, "", "");

    ck_assert_msg((rc == BO_OK) == c->ok, "listen '%s': expected %s, got %d", c->listen,
                  c->ok ? "ok" : "refusal", rc);
}

SUPPORT_TABLE_TEST(listen_table, listen_cases, check_listen_table)

struct push_case {
    const char *push_listen;
    const char *public_url;
    int ok;
    const char *url_after; /* push-public-url as loaded (trailing slashes dropped) */
};

static const struct push_case push_cases[] = {
    {"", "", 1, ""},
    {"8081", "", 1, ""},
    {"127.0.0.1:8081", "", 1, ""},
    {"[::1]:8081", "", 1, ""},
    {"0.0.0.0:8081", "https://push.example.org", 1, "https://push.example.org"},
    {"127.0.0.1:8081", "http://127.0.0.1:8081/", 1, "http://127.0.0.1:8081"},
    {"127.0.0.1:8081", "https://push.example.org/base//", 1, "https://push.example.org/base"},
    {"127.0.0.1:8081,127.0.0.1:8082", "", 0, NULL},
    {"localhost:8081", "", 0, NULL},
    {"8081x", "", 0, NULL},
    {"127.0.0.1:8081", "ftp://push.example.org", 0, NULL},
    {"127.0.0.1:8081", "push.example.org", 0, NULL},
    {"127.0.0.1:8081", "HTTPS://push.example.org", 0, NULL},
    {"127.0.0.1:8081", "ws://push.example.org", 0, NULL},
};

/* check_push_table checks one row of push_cases. */
static void check_push_table(const struct push_case *c)
{
    struct br_config cfg;
    int rc = load(&cfg, "127.0.0.1:8080", c->push_listen, c->public_url);

    ck_assert_msg((rc == BO_OK) == c->ok, "push-listen '%s', push-public-url '%s': expected %s",
                  c->push_listen, c->public_url, c->ok ? "ok" : "refusal");
    if (c->ok) {
        ck_assert_str_eq(cfg.push_public_url, c->url_after);
    }
}

SUPPORT_TABLE_TEST(push_table, push_cases, check_push_table)

struct base_case {
    const char *push_listen;
    const char *public_url;
    const char *host_header;
    int rc;
    const char *base;
};

static const struct base_case base_cases[] = {
    {"127.0.0.1:8081", "", NULL, BO_OK, "http://127.0.0.1:8081"},
    {"127.0.0.1:8081", "", "example.org:8080", BO_OK, "http://127.0.0.1:8081"},
    {"[::1]:8081", "", NULL, BO_OK, "http://[::1]:8081"},
    {"0.0.0.0:8081", "", NULL, BO_OK, "http://127.0.0.1:8081"},
    {"0.0.0.0:8081", "", "", BO_OK, "http://127.0.0.1:8081"},
    {"0.0.0.0:8081", "", "example.org:8080", BO_OK, "http://example.org:8081"},
    {"0.0.0.0:8081", "", "example.org", BO_OK, "http://example.org:8081"},
    {"[::]:8081", "", "[::1]:8080", BO_OK, "http://[::1]:8081"},
    {"[::]:8081", "", "[::1]", BO_OK, "http://[::1]:8081"},
    {"8081", "", "box.local:80", BO_OK, "http://box.local:8081"},
    {"8081", "", "evil.org/<script>", BO_OK, "http://127.0.0.1:8081"},
    {"8081", "", "a b:80", BO_OK, "http://127.0.0.1:8081"},
    {"0.0.0.0:8081", "https://push.example.org", "example.org", BO_OK, "https://push.example.org"},
    {"", "", "example.org", BO_E_NOT_FOUND, NULL},
};

/* check_base_table checks one row of base_cases. */
static void check_base_table(const struct base_case *c)
{
    struct br_config cfg;
    char out[300];

    ck_assert_int_eq(load(&cfg, "8080", c->push_listen, c->public_url), BO_OK);
    int rc = br_config_push_base(&cfg, c->host_header, out, sizeof(out));
    ck_assert_msg(rc == c->rc, "%s with Host %s: expected %d, got %d", c->push_listen,
                  c->host_header != NULL ? c->host_header : "(none)", c->rc, rc);
    if (rc == BO_OK) {
        ck_assert_str_eq(out, c->base);
    }
}

SUPPORT_TABLE_TEST(base_table, base_cases, check_base_table)

START_TEST(base_too_small)
{
    struct br_config cfg;
    char out[16];

    ck_assert_int_eq(load(&cfg, "8080", "127.0.0.1:8081", ""), BO_OK);
    ck_assert_int_eq(br_config_push_base(&cfg, NULL, out, sizeof(out)), BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(load(&cfg, "8080", "127.0.0.1:8081", "https://push.example.org"), BO_OK);
    ck_assert_int_eq(br_config_push_base(&cfg, NULL, out, sizeof(out)), BO_E_INVALID_ARGUMENT);
}
END_TEST

/* The listener's address: numeric host, port, and whether it means every address. */
START_TEST(push_addr)
{
    struct br_config cfg;
    struct bo_hostport hp;

    ck_assert_int_eq(load(&cfg, "8080", "", ""), BO_OK);
    ck_assert_int_eq(br_config_push_addr(&cfg, &hp), BO_E_NOT_FOUND);

    ck_assert_int_eq(load(&cfg, "8080", "[::1]:8081", ""), BO_OK);
    ck_assert_int_eq(br_config_push_addr(&cfg, &hp), BO_OK);
    ck_assert_str_eq(hp.host, "::1");
    ck_assert_int_eq(hp.port, 8081);
    ck_assert_int_eq(br_config_any_host(&hp), 0);

    ck_assert_int_eq(load(&cfg, "8080", "9000", ""), BO_OK);
    ck_assert_int_eq(br_config_push_addr(&cfg, &hp), BO_OK);
    ck_assert_str_eq(hp.host, "");
    ck_assert_int_eq(hp.port, 9000);
    ck_assert_int_eq(br_config_any_host(&hp), 1);

    ck_assert_int_eq(load(&cfg, "8080", "0.0.0.0:9000", ""), BO_OK);
    ck_assert_int_eq(br_config_push_addr(&cfg, &hp), BO_OK);
    ck_assert_int_eq(br_config_any_host(&hp), 1);
    ck_assert_int_eq(load(&cfg, "8080", "[::]:9000", ""), BO_OK);
    ck_assert_int_eq(br_config_push_addr(&cfg, &hp), BO_OK);
    ck_assert_int_eq(br_config_any_host(&hp), 1);
}
END_TEST

struct proxy_case {
    const char *trusted_proxy;
    int ok;
    const char *canonical; /* the address as read, in canonical text ("" for none) */
};

/* The trusted proxy: one IP address, no port, no name; empty for none. */
static const struct proxy_case proxy_cases[] = {
    {"", 1, ""},
    {"10.0.0.7", 1, "10.0.0.7"},
    {"::1", 1, "::1"},
    {"2001:DB8:0::1", 1, "2001:db8::1"},
    {"::ffff:10.0.0.7", 1, "10.0.0.7"},
    {"10.0.0.7:8080", 0, NULL},
    {"[::1]", 0, NULL},
    {"proxy.local", 0, NULL},
    {"10.0.0.256", 0, NULL},
    {" 10.0.0.7", 0, NULL},
    {"10.0.0.7,10.0.0.8", 0, NULL},
};

/* check_proxy_table checks one row of proxy_cases. */
static void check_proxy_table(const struct proxy_case *c)
{
    char prog[] = "boxoffice-bridge";
    char flag[128];
    char *argv[] = {prog, flag, NULL};
    char err[512];
    char text[BR_CALLER_ADDR_MAX];
    struct br_config cfg;
    int exit_now = 0;

    snprintf(flag, sizeof(flag), "--trusted-proxy=%s", c->trusted_proxy);
    memset(&cfg, 0xa5, sizeof(cfg)); /* what was there before does not matter */
    int rc = br_config_load(&cfg, 2, argv, &exit_now, err, sizeof(err));
    ck_assert_msg((rc == BO_OK) == c->ok, "trusted-proxy '%s': expected %s, got %d",
                  c->trusted_proxy, c->ok ? "ok" : "refusal", rc);
    if (!c->ok) {
        ck_assert_ptr_nonnull(strstr(err, "trusted-proxy"));
        return;
    }
    br_caller_ip_format(&cfg.trusted_proxy_ip, text);
    ck_assert_str_eq(text, c->canonical);
}

SUPPORT_TABLE_TEST(proxy_table, proxy_cases, check_proxy_table)

/* The edge's limits file is kept only with the admin key (the cap is read with GetLimits) and
 * push on (its toucher reads the limits); a pid file goes only with a limits file. */
struct edge_case {
    const char *limits, *pid, *key, *push;
    const char *mention; /* in the refusal; NULL: accepted */
};

/* An admin key long enough to be taken (32 bytes at least). */
#define KEY32 "0123456789abcdef0123456789abcdef"

static const struct edge_case edge_cases[] = {
    {"", "", "", "127.0.0.1:8081", NULL},
    {"/run/edge/limits.conf", "", KEY32, "127.0.0.1:8081", NULL},
    {"/run/edge/limits.conf", "/run/edge.pid", KEY32, "127.0.0.1:8081", NULL},
    {"/run/edge/limits.conf", "/run/edge.pid", "", "127.0.0.1:8081", "admin-key"},
    {"/run/edge/limits.conf", "", KEY32, "", "push-listen"},
    {"", "/run/edge.pid", KEY32, "127.0.0.1:8081", "edge-limits"},
};

/* check_edge_table checks one row of edge_cases. */
static void check_edge_table(const struct edge_case *c)
{
    char a[4][300], prog[] = "boxoffice-bridge", rpc[] = "--rpc-urls=tcp://127.0.0.1:7700";
    char *argv[] = {prog, a[0], a[1], a[2], a[3], rpc, NULL};
    char err[512] = "";
    struct br_config cfg;
    int exit_now = 0;

    snprintf(a[0], sizeof(a[0]), "--edge-limits=%s", c->limits);
    snprintf(a[1], sizeof(a[1]), "--edge-pid=%s", c->pid);
    snprintf(a[2], sizeof(a[2]), "--admin-key=%s", c->key);
    snprintf(a[3], sizeof(a[3]), "--push-listen=%s", c->push);
    int rc = br_config_load(&cfg, 6, argv, &exit_now, err, sizeof(err));
    if (c->mention == NULL) {
        ck_assert_msg(rc == BO_OK, "edge-limits '%s', edge-pid '%s': refused: %s", c->limits,
                      c->pid, err);
        ck_assert_str_eq(cfg.edge_limits, c->limits);
        ck_assert_str_eq(cfg.edge_pid, c->pid);
    } else {
        ck_assert_msg(rc == BO_E_INVALID_ARGUMENT && strstr(err, c->mention) != NULL,
                      "edge-limits '%s', edge-pid '%s': want a refusal naming %s, got %d '%s'",
                      c->limits, c->pid, c->mention, rc, err);
    }
}

SUPPORT_TABLE_TEST(edge_table, edge_cases, check_edge_table)

int main(void)
{
    const TTest *tests[] = {listen_table, push_table,  base_table, base_too_small,
                            push_addr,    proxy_table, edge_table, NULL};

    return support_tests_run("br_config", "addresses", tests);
}
