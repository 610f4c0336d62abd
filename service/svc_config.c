/* svc_config: the service's option table and its loading (see svc_config.h). */
#include "svc_config.h"

#include "bo_config.h"
#include "bo_error.h"
#include "bo_log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define C struct svc_config

static const struct bo_option svc_options[] = {
    BO_OPT_STR("rpc-url", C, rpc_url, "tcp://127.0.0.1:7700",
               "NNG req/rep address(es) to listen on, comma-separated (e.g. tcp:// and ipc://)"),
    BO_OPT_STR("events-url", C, events_url, "tcp://127.0.0.1:7701",
               "NNG pub address for admission, ended-token and seat events"),
    BO_OPT_STR("peer-events-urls", C, peer_events_urls, "",
               "events addresses of the other instances (comma-separated; this instance's own "
               "is skipped): their seat and ended-token events keep this one's memory current"),
    BO_OPT_STR("metrics-listen", C, metrics_listen, "127.0.0.1:9700",
               "host:port serving GET /metrics (Prometheus text); empty: none"),
    BO_OPT_SECRET_URL("database-url", C, database_url,
                      "postgresql://boxoffice@127.0.0.1:55432/boxoffice",
                      "PostgreSQL URL or conninfo (logged with its password masked)"),
    BO_OPT_SECRET_URL("redis-url", C, redis_url, "redis://127.0.0.1:56379",
                      "Redis URL, redis://[[user]:password@]host[:port][/db] (logged with its "
                      "password masked)"),
    BO_OPT_KEY("token-secret", C, token_secret,
               "HMAC secret signing queue tokens and sessions; every instance needs the same one "
               "(unset: a random one per process)"),
    BO_OPT_KEY("admin-key", C, admin_key, "key admin calls must present (unset: none pass)"),
    BO_OPT_STR(
        "jwt-alg", C, jwt_alg, "HS256",
        "algorithm of operator identity tokens (JWT): HS256 or ES256, never the token's own"),
    BO_OPT_KEY("jwt-secret", C, jwt_secret,
               "HS256 key of operator identity tokens (unset: they are refused)"),
    BO_OPT_STR("jwt-public-key-file", C, jwt_public_key_file, "",
               "ES256 public key (PEM) of operator identity tokens"),
    BO_OPT_NUM("jwt-leeway-seconds", C, jwt_leeway_seconds, "30", 0, 30,
               "clock leeway when checking an identity token's exp"),
    BO_OPT_NUM("session-ttl-seconds", C, session_ttl_seconds, "43200", 60, 2592000,
               "how long a session from login lasts"),
    BO_OPT_STR("instance-id", C, instance_id, "", "name of this instance (default host-pid)"),
    BO_OPT_NUM("workers", C, workers, "16", 1, 512,
               "worker threads, each with its own PostgreSQL and Redis connection"),
    BO_OPT_NUM("redis-batch", C, redis_batch, "1", 0, 1,
               "1: the workers' token issues, token reads and other repeatable Redis calls go "
               "out together in pipelines on one shared connection; 0: each on its own"),
    BO_OPT_NUM("admission-rate", C, admission_rate, "100", 1, 1000000,
               "tokens admitted per second per concert"),
    BO_OPT_NUM("max-active", C, max_active, "1000", 1, 10000000,
               "ACTIVE tokens per concert at most"),
    BO_OPT_NUM("token-ttl-seconds", C, token_ttl_seconds, "300", 5, 86400,
               "an ACTIVE token lasts this long from its admission (reads do not extend it)"),
    BO_OPT_NUM("hold-ttl-seconds", C, hold_ttl_seconds, "300", 1, 86400, "how long a hold lasts"),
    BO_OPT_NUM("max-seats-per-hold", C, max_seats_per_hold, "4", 1, HOLD_SEATS_MAX,
               "the most seats one hold may take (an admin setting: this is its default)"),
    BO_OPT_NUM("admission-tick-ms", C, admission_tick_ms, "100", 5, 10000,
               "how often the admission loop runs"),
    BO_OPT_NUM("lease-ms", C, lease_ms, "2000", 100, 60000,
               "admission leader lease; another instance takes over after it lapses"),
    BO_OPT_NUM("abandon-seconds", C, abandon_seconds, "60", 0, 86400,
               "a waiting token with no status poll and no open push connection for this "
               "long is ended instead of admitted; 0: never"),
    BO_OPT_NUM("idempotency-keep-seconds", C, idempotency_keep_seconds, "86400", 0, 31LL * 86400,
               "an Idempotency-Key is remembered this long; the admission leader deletes older "
               "ones, and a retry with one is a new request; 0: kept for ever"),
    BO_OPT_NUM("ended-token-keep-seconds", C, ended_token_keep_seconds, "600", 1, 86400,
               "an ended queue token's record is kept this long after its end, so a client "
               "retrying a call reads its details (EXPIRED); then it is swept and reads as "
               "unknown (EXPIRED all the same)"),
    BO_OPT_NUM("refund-cutoff-hours", C, refund_cutoff_hours, "24", 0, 24LL * 365,
               "a payment can be refunded until this long before its date starts"),
    BO_OPT_NUM("migrate", C, migrate, "0", 0, 2,
               "1: apply migrations, then serve; 2: apply migrations (and the seed), then exit"),
    BO_OPT_STR("migrations-dir", C, migrations_dir, "db/migrations",
               "folder of NNN_name.sql files"),
    BO_OPT_STR("seed-file", C, seed_file, "", "SQL file loaded after migrating (with --migrate)"),
    BO_OPT_STR("log-level", C, log_level, "info", "error, warn, info or debug"),
};

#undef C

#define SVC_NOPTIONS (sizeof(svc_options) / sizeof(svc_options[0]))

int svc_config_load(struct svc_config *cfg, int argc, char **argv, int *exit_now, char *err,
                    size_t errlen)
{
    char *rest[64];
    int nrest = 0, help = 0, rc;

    *exit_now = 0;
    memset(cfg, 0, sizeof(*cfg));
    if (argc > 64) {
        snprintf(err, errlen, "too many arguments");
        return BO_E_INVALID_ARGUMENT;
    }
    rc = bo_config_load(svc_options, SVC_NOPTIONS, cfg, argc, argv, rest, &nrest, &help, err,
                        errlen);
    if (rc != BO_OK) {
        return rc;
    }
    if (help) {
        printf("Usage: boxoffice-service [--option=value ...]\n"
               "The boxoffice core: protobuf rpc over NNG req/rep, admission events over pub/sub.\n"
               "\n");
        bo_config_usage(stdout, svc_options, SVC_NOPTIONS);
        *exit_now = 1;
        return BO_OK;
    }
    if (nrest > 0) {
        snprintf(err, errlen, "unexpected argument '%s' (options look like --name=value)", rest[0]);
        return BO_E_INVALID_ARGUMENT;
    }
    if (bo_log_level_parse(cfg->log_level, &cfg->log_level_num) != BO_OK) {
        snprintf(err, errlen, "log-level must be error, warn, info or debug, not '%s'",
                 cfg->log_level);
        return BO_E_INVALID_ARGUMENT;
    }
    if (cfg->instance_id[0] == '\0') {
        char host[48] = "host";
        gethostname(host, sizeof(host) - 1);
        snprintf(cfg->instance_id, sizeof(cfg->instance_id), "%s-%d", host, (int)getpid());
    }
    return BO_OK;
}

void svc_config_log(const struct svc_config *cfg)
{
    bo_config_log(svc_options, SVC_NOPTIONS, cfg);
}

void svc_config_admission_defaults(const struct svc_config *cfg, struct admission_settings *out)
{
    out->rate_per_second = (uint32_t)cfg->admission_rate;
    out->max_active = (uint32_t)cfg->max_active;
    out->token_ttl_seconds = (uint32_t)cfg->token_ttl_seconds;
    out->hold_ttl_seconds = (uint32_t)cfg->hold_ttl_seconds;
    out->max_seats_per_hold = (uint32_t)cfg->max_seats_per_hold;
}
