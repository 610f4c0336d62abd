/*
 * br_config: the bridge's configuration, filled from one option table
 * (defaults, BOXOFFICE_* environment, --flags; see bo_config.h), and what is
 * derived from it: the push listener's address, the base URL browsers
 * reach push at, and the trusted proxy's address. The admin key (a secret,
 * never logged) only lets the push listener read the limits it enforces and
 * the cap it keeps in the edge's limits file.
 */
#ifndef BR_CONFIG_H
#define BR_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "bo_addr.h"
#include "br_caller.h"

struct br_config {
    char listen[128];              /* civetweb listening_ports, e.g. "127.0.0.1:8080" */
    char rpc_urls[1024];           /* every service instance, comma-separated */
    char web_root[512];            /* folder of the static page */
    char log_level[16];            /* error, warn, info, debug */
    int64_t threads;               /* civetweb workers: one per open keep-alive connection */
    int64_t request_timeout_ms;    /* rpc timeout and civetweb network timeout */
    int64_t keep_alive_ms;         /* idle keep-alive connections close after this */
    int64_t max_body_bytes;        /* larger request bodies get 413 */
    char push_listen[128];         /* push listener "address:port"; empty disables push */
    char push_public_url[256];     /* base URL browsers reach push at; empty: from push_listen */
    char events_urls[1024];        /* events of every service instance (push, seat maps) */
    char trusted_proxy[64];        /* IP of a proxy whose X-Forwarded-For is believed; "" none */
    struct br_ip trusted_proxy_ip; /* trusted_proxy read by br_config_load (family 0: none) */
    char admin_key[256];           /* for GetLimits (push and edge caps); "" none: defaults */
    int64_t push_max_connections;  /* open push connections in all; 0 = no cap */
    int64_t push_max_jobs;         /* token checks waiting for a push worker */
    int64_t push_keepalive_ms;     /* a keep-alive on each idle push connection this often */
    char edge_limits[480];         /* the edge's limits file kept at the cap; "" none */
    char edge_pid[480];            /* the edge's nginx pid file (SIGHUP); "" none */
};

/* br_config_load fills cfg from the option table; on --help prints usage and sets *exit_now.
 * Returns BO_E_INVALID_ARGUMENT with a sentence in err for bad configuration. */
__attribute__((warn_unused_result)) int br_config_load(struct br_config *cfg, int argc, char **argv,
                                                       int *exit_now, char *err, size_t errlen);

/* br_config_push_addr reads push-listen (checked by br_config_load) into hp. Returns 0,
 * BO_E_NOT_FOUND when push is off, or BO_E_INVALID_ARGUMENT. */
__attribute__((warn_unused_result)) int br_config_push_addr(const struct br_config *cfg,
                                                            struct bo_hostport *hp);

/* br_config_any_host tells whether hp names every address: no host, 0.0.0.0 or ::. */
int br_config_any_host(const struct bo_hostport *hp);

/*
 * br_config_push_base writes the base URL browsers reach push at ("http://host:port", no
 * trailing slash) into out: push-public-url when set, else derived from push-listen, taking
 * the host from the request's Host header (host_header, may be NULL) when push listens on
 * every address. Returns 0, BO_E_NOT_FOUND when push is off, or BO_E_INVALID_ARGUMENT when
 * out is too small.
 */
__attribute__((warn_unused_result)) int
br_config_push_base(const struct br_config *cfg, const char *host_header, char *out, size_t len);

/* br_config_log writes the effective configuration to the log. */
void br_config_log(const struct br_config *cfg);

#endif
