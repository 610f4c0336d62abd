/*
 * br_config: the bridge's option table, its checks, and the addresses and
 * URLs derived from it (see br_config.h). Every configured address and URL
 * is read by bo_addr; only a request's Host header is split here, leniently,
 * to name the push listener the way the browser named the bridge.
 */
#include "br_config.h"

#include "bo_addr.h"
#include "bo_config.h"
#include "bo_error.h"
#include "bo_log.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>

static const struct bo_option br_options[] = {
    BO_OPT_STR("listen", struct br_config, listen, "127.0.0.1:8080",
               "address:port the REST API and the page listen on"),
    BO_OPT_STR("rpc-urls", struct br_config, rpc_urls, "tcp://127.0.0.1:7700",
               "rpc addresses of all service instances, comma-separated"),
    BO_OPT_NUM("threads", struct br_config, threads, "1100", 1, 20000,
               "HTTP worker threads (one per open keep-alive connection)"),
    BO_OPT_NUM("request-timeout-ms", struct br_config, request_timeout_ms, "5000", 10, 600000,
               "how long an rpc or a slow client may take, in milliseconds"),
    BO_OPT_NUM("keep-alive-ms", struct br_config, keep_alive_ms, "5000", 0, 600000,
               "idle keep-alive connections are closed after this many milliseconds"),
    BO_OPT_STR("web-root", struct br_config, web_root, "bridge/web",
               "folder holding the static page (index.html)"),
    BO_OPT_NUM("max-body-bytes", struct br_config, max_body_bytes, "16384", 64, 16777216,
               "largest accepted request body; larger ones get 413"),
    BO_OPT_STR("log-level", struct br_config, log_level, "info", "error, warn, info or debug"),
    BO_OPT_STR("push-listen", struct br_config, push_listen, "127.0.0.1:8081",
               "address:port of the WebSocket/SSE push listener (GET /api/v1/queue/events); "
               "empty disables push"),
    BO_OPT_STR("push-public-url", struct br_config, push_public_url, "",
               "base URL browsers reach the push listener at, e.g. https://push.example.org; "
               "empty derives it from push-listen"),
    BO_OPT_STR("events-urls", struct br_config, events_urls, "tcp://127.0.0.1:7701",
               "event addresses of all service instances, comma-separated: admission events "
               "for push, seat and ended-token events for the seat maps in memory"),
    BO_OPT_STR("trusted-proxy", struct br_config, trusted_proxy, "",
               "IP address of the proxy in front of the bridge: from it, the last "
               "X-Forwarded-For hop is the client's address (for per-address rate limits); "
               "empty: the peer's address always"),
    BO_OPT_KEY("admin-key", struct br_config, admin_key,
               "the service's admin key, to read the push connection caps of "
               "/api/v1/admin/limits once a second (unset: DESIGN's defaults, 256 per address "
               "and 4 per token)"),
    BO_OPT_NUM("push-max-connections", struct br_config, push_max_connections, "20000", 0, 10000000,
               "open push connections in all; more are refused (0: no cap)"),
    BO_OPT_NUM("push-max-jobs", struct br_config, push_max_jobs, "4096", 1, 10000000,
               "token checks of new push connections waiting for a worker; when full a new "
               "connection is refused (WebSocket close 1013, SSE 503)"),
    BO_OPT_NUM("push-keepalive-ms", struct br_config, push_keepalive_ms, "15000", 1000, 3600000,
               "a keep-alive on every idle push connection this often: an SSE comment, a "
               "WebSocket ping (a WebSocket that answered nothing since the last ping is "
               "closed); keep it under the idle timeout of any proxy in front"),
    BO_OPT_STR("edge-limits", struct br_config, edge_limits, "",
               "the edge's limits file (bridge/edge/cap's text), kept at addressRestConnections "
               "of /api/v1/admin/limits as read once a second (needs admin-key and push); empty: "
               "left alone"),
    BO_OPT_STR("edge-pid", struct br_config, edge_pid, "",
               "pid file of the edge's nginx master, sent SIGHUP after edge-limits changes; "
               "empty: the edge reloads the file itself"),
};

#define BR_NOPTIONS (sizeof(br_options) / sizeof(br_options[0]))

/* br_config_listen_ok tells whether one listen entry s[0..len) is "PORT", "IPV4:PORT" or
 * "[IPV6]:PORT" with a port from 1 to 65535: civetweb resolves no names and would silently
 * misread other forms. */
static int br_config_listen_ok(const char *s, size_t len)
{
    struct bo_hostport hp;

    return bo_hostport_parse(s, len, &hp) == BO_OK && bo_hostport_is_numeric(&hp);
}

/* br_config_listen_check checks every comma-separated entry of listen. */
static int br_config_listen_check(const char *listen)
{
    const char *p = listen;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (!br_config_listen_ok(p, len)) {
            return 0;
        }
        if (p[len] == '\0') {
            return 1;
        }
        p += len + 1;
    }
}

/* br_config_public_url_ok tells whether url is an http:// or https:// URL (the scheme written
 * in lower case: the routes derive ws:// and wss:// from it). */
static int br_config_public_url_ok(const char *url)
{
    struct bo_url u;

    if (bo_url_parse(url, &u) != BO_OK ||
        (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0)) {
        return 0;
    }
    return strncmp(url, u.scheme, strlen(u.scheme)) == 0;
}

/* br_config_edge_check checks edge-limits and edge-pid: the limits are read by the push
 * listener's toucher, under the admin key. */
static int br_config_edge_check(const struct br_config *cfg, char *err, size_t errlen)
{
    if (cfg->edge_pid[0] != '\0' && cfg->edge_limits[0] == '\0') {
        snprintf(err, errlen, "edge-pid is only used with edge-limits (the file to keep)");
        return BO_E_INVALID_ARGUMENT;
    }
    if (cfg->edge_limits[0] != '\0' && cfg->admin_key[0] == '\0') {
        snprintf(err, errlen, "edge-limits needs admin-key: the cap is read with GetLimits");
        return BO_E_INVALID_ARGUMENT;
    }
    if (cfg->edge_limits[0] != '\0' && cfg->push_listen[0] == '\0') {
        snprintf(err, errlen,
                 "edge-limits needs push-listen: the push listener reads the limits once a "
                 "second");
        return BO_E_INVALID_ARGUMENT;
    }
    return BO_OK;
}

int br_config_load(struct br_config *cfg, int argc, char **argv, int *exit_now, char *err,
                   size_t errlen)
{
    char **rest;
    int nrest = 0;
    int help = 0;
    int level;
    int rc;

    *exit_now = 0;
    if ((rest = calloc((size_t)argc + 1, sizeof(*rest))) == NULL) {
        snprintf(err, errlen, "out of memory reading the configuration");
        return BO_E_NOMEM;
    }
    rc = bo_config_load(br_options, BR_NOPTIONS, cfg, argc, argv, rest, &nrest, &help, err, errlen);
    if (rc == BO_OK && nrest > 0) {
        snprintf(err, errlen, "unexpected argument '%s' (see --help)", rest[0]);
        rc = BO_E_INVALID_ARGUMENT;
    }
    free(rest);
    if (rc != BO_OK) {
        return rc;
    }
    if (help) {
        printf("Usage: boxoffice-bridge [options]\n"
               "REST and the web page in front of the boxoffice service.\n\n");
        bo_config_usage(stdout, br_options, BR_NOPTIONS);
        *exit_now = 1;
        return BO_OK;
    }
    if (bo_log_level_parse(cfg->log_level, &level) != BO_OK) {
        snprintf(err, errlen, "log-level must be error, warn, info or debug, not '%s'",
                 cfg->log_level);
        return BO_E_INVALID_ARGUMENT;
    }
    if (!br_config_listen_check(cfg->listen)) {
        snprintf(err, errlen,
                 "listen must be PORT, IPV4:PORT or [IPV6]:PORT (comma-separated), not '%s'",
                 cfg->listen);
        return BO_E_INVALID_ARGUMENT;
    }
    if (cfg->push_listen[0] != '\0' &&
        !br_config_listen_ok(cfg->push_listen, strlen(cfg->push_listen))) {
        snprintf(err, errlen,
                 "push-listen must be empty, PORT, IPV4:PORT or [IPV6]:PORT (one), not '%s'",
                 cfg->push_listen);
        return BO_E_INVALID_ARGUMENT;
    }
    if (cfg->push_listen[0] != '\0' && cfg->events_urls[0] == '\0') {
        snprintf(err, errlen, "events-urls must name at least one service events address");
        return BO_E_INVALID_ARGUMENT;
    }
    if (cfg->push_public_url[0] != '\0' && !br_config_public_url_ok(cfg->push_public_url)) {
        snprintf(err, errlen, "push-public-url must start with http:// or https://, not '%s'",
                 cfg->push_public_url);
        return BO_E_INVALID_ARGUMENT;
    }
    for (size_t n = strlen(cfg->push_public_url); n > 0 && cfg->push_public_url[n - 1] == '/';) {
        cfg->push_public_url[--n] = '\0'; /* the routes append the path */
    }
    memset(&cfg->trusted_proxy_ip, 0, sizeof(cfg->trusted_proxy_ip)); /* none */
    if (cfg->trusted_proxy[0] != '\0' &&
        br_caller_ip_parse(cfg->trusted_proxy, strlen(cfg->trusted_proxy),
                           &cfg->trusted_proxy_ip) != BO_OK) {
        snprintf(err, errlen,
                 "trusted-proxy must be empty or one IPv4 or IPv6 address (no port), not '%s'",
                 cfg->trusted_proxy);
        return BO_E_INVALID_ARGUMENT;
    }
    if (cfg->rpc_urls[0] == '\0') {
        snprintf(err, errlen, "rpc-urls must name at least one service address");
        return BO_E_INVALID_ARGUMENT;
    }
    return br_config_edge_check(cfg, err, errlen);
}

void br_config_log(const struct br_config *cfg)
{
    bo_config_log(br_options, BR_NOPTIONS, cfg);
}

/* ---- addresses and URLs derived from the configuration ------------------------------ */

int br_config_push_addr(const struct br_config *cfg, struct bo_hostport *hp)
{
    if (cfg->push_listen[0] == '\0') {
        return BO_E_NOT_FOUND;
    }
    return bo_hostport_parse(cfg->push_listen, strlen(cfg->push_listen), hp);
}

int br_config_any_host(const struct bo_hostport *hp)
{
    return hp->host[0] == '\0' || strcmp(hp->host, "0.0.0.0") == 0 || strcmp(hp->host, "::") == 0;
}

/* br_config_header_host copies the host part of a Host header (its port dropped, IPv6
 * brackets kept) into out when it looks like a host name or address; else leaves out alone. */
static void br_config_header_host(const char *header, char *out, size_t len)
{
    static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789.-[]:";
    char host[128];

    if (header == NULL || header[0] == '\0' || strlen(header) >= 100) {
        return;
    }
    snprintf(host, sizeof(host), "%s", header);
    char *end = host[0] == '[' ? strchr(host, ']') : NULL;
    char *colon = strrchr(end != NULL ? end : host, ':');
    if (colon != NULL) {
        *colon = '\0';
    }
    if (strspn(host, allowed) == strlen(host)) {
        snprintf(out, len, "%s", host);
    }
}

int br_config_push_base(const struct br_config *cfg, const char *host_header, char *out, size_t len)
{
    struct bo_hostport hp;
    char host[128];
    int n;

    if (cfg->push_listen[0] == '\0') {
        return BO_E_NOT_FOUND;
    }
    if (cfg->push_public_url[0] != '\0') {
        n = snprintf(out, len, "%s", cfg->push_public_url);
        return n < 0 || (size_t)n >= len ? BO_E_INVALID_ARGUMENT : BO_OK;
    }
    if (br_config_push_addr(cfg, &hp) != BO_OK) {
        return BO_E_INVALID_ARGUMENT;
    }
    if (br_config_any_host(&hp)) {
        /* Listening everywhere: the browser reached REST by some name, push is there too. */
        snprintf(host, sizeof(host), "127.0.0.1");
        br_config_header_host(host_header, host, sizeof(host));
        n = snprintf(out, len, "http://%s:%d", host, hp.port);
    } else if (hp.ipv6) {
        n = snprintf(out, len, "http://[%s]:%d", hp.host, hp.port);
    } else {
        n = snprintf(out, len, "http://%s:%d", hp.host, hp.port);
    }
    return n < 0 || (size_t)n >= len ? BO_E_INVALID_ARGUMENT : BO_OK;
}
