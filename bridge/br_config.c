/* br_config: the bridge's option table (see br_config.h). */
#include "br_config.h"

#include "bo_config.h"
#include "bo_error.h"
#include "bo_log.h"

#include <stdio.h>
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
};

#define BR_NOPTIONS (sizeof(br_options) / sizeof(br_options[0]))

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
    if (cfg->listen[0] == '\0' || cfg->rpc_urls[0] == '\0') {
        snprintf(err, errlen, "listen and rpc-urls must not be empty");
        return BO_E_INVALID_ARGUMENT;
    }
    return BO_OK;
}

void br_config_log(const struct br_config *cfg)
{
    bo_config_log(br_options, BR_NOPTIONS, cfg);
}
