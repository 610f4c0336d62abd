/* boxoffice-service: configuration, migrations, then the rpc server and the admission loop. */
#include "admission.h"
#include "bo_error.h"
#include "bo_log.h"
#include "identity.h"
#include "metrics_http.h"
#include "password.h"
#include "server.h"
#include "store.h"
#include "svc_config.h"
#include "svc_context.h"

#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static int migrate(const struct svc_config *cfg)
{
    struct store *st = NULL;
    int applied = 0, rc;

    if ((rc = store_open(cfg->database_url, &st)) == BO_OK &&
        (rc = store_migrate(st, cfg->migrations_dir, &applied)) == BO_OK) {
        BO_INFO("migrations: %d applied from %s", applied, cfg->migrations_dir);
        if (cfg->seed_file[0] != '\0' && (rc = store_exec_file(st, cfg->seed_file)) == BO_OK) {
            BO_INFO("seed loaded from %s", cfg->seed_file);
        }
    }
    store_close(st);
    return rc;
}

/* Without a configured secret a random one still lets a single instance work. */
static int ensure_secret(struct svc_config *cfg)
{
    unsigned char raw[32];

    if (cfg->token_secret[0] != '\0') {
        return BO_OK;
    }
    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return BO_E_INTERNAL;
    }
    for (size_t i = 0; i < sizeof(raw); i++) {
        snprintf(cfg->token_secret + 2 * i, 3, "%02x", raw[i]);
    }
    BO_WARN("no token secret configured: using a random one, so tokens of other instances or "
            "earlier runs are refused (set BOXOFFICE_TOKEN_SECRET)");
    return BO_OK;
}

/* open_keys loads the keys that check proofs of identity from cfg. */
static int open_keys(const struct svc_config *cfg, struct identity_keys **out)
{
    struct identity_config ic = {
        .session_secret = cfg->token_secret,
        .jwt_alg = cfg->jwt_alg,
        .jwt_secret = cfg->jwt_secret,
        .jwt_public_key_file = cfg->jwt_public_key_file,
        .leeway_seconds = (int)cfg->jwt_leeway_seconds,
    };
    char err[256] = "";
    int rc = identity_keys_open(&ic, out, err, sizeof(err));

    if (rc != BO_OK) {
        BO_ERR("%s", err[0] != '\0' ? err : bo_error_message(rc));
        return rc;
    }
    if (cfg->jwt_secret[0] == '\0' && cfg->jwt_public_key_file[0] == '\0') {
        BO_INFO("no operator identity key configured: only sessions from login are accepted");
    }
    return BO_OK;
}

int main(int argc, char **argv)
{
    struct svc_config cfg;
    struct identity_keys *keys = NULL;
    struct server *server = NULL;
    struct admission *admission = NULL;
    struct svc_shared shared = {0};
    struct metrics_http *metrics = NULL;
    char err[256];
    int exit_now = 0, rc, sig;
    sigset_t stop;

    if (svc_config_load(&cfg, argc, argv, &exit_now, err, sizeof(err)) != BO_OK) {
        fprintf(stderr, "boxoffice-service: %s\n", err);
        return 2;
    }
    if (exit_now) {
        return 0;
    }
    bo_log_setup("service", cfg.log_level_num);
    svc_config_log(&cfg);
    if (cfg.migrate != 0 && (rc = migrate(&cfg)) != BO_OK) {
        BO_ERR("migration failed: %s", bo_error_message(rc));
        return 1;
    }
    if (cfg.migrate == 2) {
        return 0;
    }
    if (ensure_secret(&cfg) != BO_OK || password_init() != BO_OK ||
        open_keys(&cfg, &keys) != BO_OK) {
        return 1;
    }
    /* Block the stop signals before threads start so only sigwait below receives them. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    if ((rc = svc_shared_open(&cfg, keys, &shared)) != BO_OK ||
        (rc = server_start(&cfg, &shared, &server)) != BO_OK ||
        (cfg.metrics_listen[0] != '\0' &&
         (rc = metrics_http_start(cfg.metrics_listen, &metrics)) != BO_OK) ||
        (rc = admission_start(&cfg, shared.events, &admission)) != BO_OK) {
        BO_ERR("cannot start: %s", bo_error_message(rc));
        metrics_http_stop(metrics);
        server_stop(server);
        svc_shared_close(&shared);
        identity_keys_close(keys);
        return 1;
    }
    BO_INFO("instance %s ready", cfg.instance_id);
    sigwait(&stop, &sig);
    BO_INFO("stopping on signal %d", sig);
    admission_stop(admission);
    metrics_http_stop(metrics);
    server_stop(server);
    svc_shared_close(&shared);
    identity_keys_close(keys);
    return 0;
}
