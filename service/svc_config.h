/*
 * svc_config: the service's configuration, filled from one option table
 * (defaults, BOXOFFICE_* environment, --flags; see bo_config.h).
 */
#ifndef SVC_CONFIG_H
#define SVC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct svc_config {
    char rpc_url[256];
    char events_url[256];
    char peer_events_urls[2048]; /* the events addresses of every instance, comma-separated */
    char metrics_listen[128];
    char database_url[512];
    char redis_url[256];
    char token_secret[256];
    char admin_key[256];
    char jwt_alg[16];              /* HS256 or ES256: operator identity tokens */
    char jwt_secret[512];          /* HS256 key; "" refuses operator tokens */
    char jwt_public_key_file[512]; /* ES256 public key (PEM) */
    char instance_id[64];
    char migrations_dir[512];
    char seed_file[512];
    char log_level[16];
    int log_level_num; /* the enum bo_log_level log_level names, set by svc_config_load */
    int64_t workers;
    int64_t redis_batch; /* 1: workers' repeatable Redis calls share pipelines (cache_batch) */
    int64_t admission_rate;
    int64_t max_active;
    int64_t token_ttl_seconds;
    int64_t hold_ttl_seconds;
    int64_t max_seats_per_hold;
    int64_t admission_tick_ms;
    int64_t lease_ms;
    int64_t abandon_seconds;          /* a WAITING token unseen this long is skipped; 0: never */
    int64_t refund_cutoff_hours;      /* refunds close this long before a date starts */
    int64_t idempotency_keep_seconds; /* older keys are swept by the leader; 0: never */
    int64_t ended_token_keep_seconds; /* an ended token's record is kept this long, then swept */
    int64_t migrate; /* 0: no, 1: migrate then serve, 2: migrate (and seed) then exit */
    int64_t session_ttl_seconds;
    int64_t jwt_leeway_seconds;
};

/* svc_config_load fills cfg from the option table; on --help prints usage and sets *exit_now.
 * Returns BO_E_INVALID_ARGUMENT with a sentence in err for bad configuration, among it a
 * token secret, admin key or JWT secret under 32 bytes or a published default. */
__attribute__((warn_unused_result)) int svc_config_load(struct svc_config *cfg, int argc,
                                                        char **argv, int *exit_now, char *err,
                                                        size_t errlen);

/* svc_config_log writes the effective configuration to the log, secrets masked. */
void svc_config_log(const struct svc_config *cfg);

/* svc_config_defaults returns the admission settings the configuration starts with. */
void svc_config_admission_defaults(const struct svc_config *cfg, struct admission_settings *out);

#endif
