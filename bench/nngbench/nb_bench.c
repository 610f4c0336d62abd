/* nb_bench: set-up, run and report of one nngbench invocation (see nb_bench.h). */
#include "nb_bench.h"

#include "nb_admin.h"
#include "nb_fresh.h"
#include "nb_push.h"
#include "nb_influx.h"
#include "nb_jwt.h"
#include "nb_plan.h"
#include "nb_report.h"
#include "nb_run.h"
#include "nb_scenario.h"
#include "nb_slow.h"

#include "bo_error.h"
#include "boxoffice/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Closes every session of vus[0..n) and frees the array; safe on half-built arrays. */
static void nb_vus_destroy(struct nb_vu *vus, int n)
{
    if (vus == NULL) {
        return;
    }
    for (int i = 0; i < n; i++) {
        bo_session_close(vus[i].session);
    }
    free(vus);
}

/* Allocates n VUs, each with its own session on client. */
static int nb_vus_create(struct bo_client *client, int n, struct nb_vu **out)
{
    struct nb_vu *vus = calloc((size_t)(n > 0 ? n : 1), sizeof(*vus));
    int rc;

    if (vus == NULL) {
        return BO_E_NOMEM;
    }
    for (int i = 0; i < n; i++) {
        vus[i].index = i;
        nb_vu_stats_init(&vus[i].stats);
        if ((rc = bo_session_open(client, &vus[i].session)) != BO_OK) {
            nb_vus_destroy(vus, n);
            return rc;
        }
    }
    *out = vus;
    return BO_OK;
}

/* nb_bench_mint writes the identity tokens --mint-jwts asks for, valid --duration seconds (an
 * hour when 0) and the margin. */
static int nb_bench_mint(const struct nb_config *cfg)
{
    int64_t exp =
        (int64_t)time(NULL) + (cfg->duration > 0 ? cfg->duration : 3600) + NB_JWT_MARGIN_S;

    if (nb_jwt_write_file(cfg->jwt_secret, (uint64_t)cfg->mint_jwts, exp, cfg->out) != BO_OK) {
        return NB_EXIT_FAILED;
    }
    fprintf(stderr, "nngbench: wrote the identity tokens of users 1..%lld to %s\n",
            (long long)cfg->mint_jwts, cfg->out);
    return NB_EXIT_OK;
}

int nb_bench_execute(const struct nb_config *cfg)
{
    struct nb_scenario_ctx *ctx = calloc(1, sizeof(*ctx));
    struct nb_result *result = calloc(1, sizeof(*result));
    struct nb_flow_check check;
    struct nb_influx *influx = NULL;
    struct nb_async *async = NULL;
    struct nb_vu *vus = NULL;
    struct nb_plan plan;
    int code = NB_EXIT_FAILED, rc;

    memset(&check, 0, sizeof(check));
    if (cfg->mint_jwts > 0 || cfg->freshness > 0 || cfg->push > 0 || cfg->slow > 0) {
        free(ctx);
        free(result);
        if (cfg->mint_jwts > 0) {
            return nb_bench_mint(cfg);
        }
        if (cfg->slow > 0) {
            return nb_slow_execute(cfg);
        }
        return cfg->freshness > 0 ? nb_fresh_execute(cfg) : nb_push_execute(cfg);
    }
    if (ctx == NULL || result == NULL) {
        fprintf(stderr, "nngbench: out of memory\n");
        goto out;
    }
    nb_run_block_signals(); /* before nng starts its threads */
    nb_plan_from_config(cfg, &plan);
    ctx->cfg = cfg;
    ctx->jwt_exp = (int64_t)time(NULL) + (int64_t)plan.total_seconds + NB_JWT_MARGIN_S;
    if ((rc = bo_client_open(cfg->rpc_url, (int)cfg->timeout_ms, &ctx->client)) != BO_OK) {
        fprintf(stderr, "nngbench: cannot dial %s: %s\n", cfg->rpc_url, bo_error_name(rc));
        code = rc == BO_E_INVALID_ARGUMENT ? NB_EXIT_USAGE : NB_EXIT_FAILED;
        goto out;
    }
    if ((rc = nb_vus_create(ctx->client, plan.vus_max, &vus)) != BO_OK) {
        fprintf(stderr, "nngbench: cannot open %d sessions: %s\n", plan.vus_max, bo_error_name(rc));
        goto out;
    }
    fprintf(stderr, "nngbench: %s/%s: setting up %d VUs against %s ...\n",
            nb_scenario_name(cfg->scenario_id), nb_type_name(cfg->type_id), plan.vus_max,
            cfg->rpc_url);
    if ((rc = nb_scenario_setup(ctx, vus, plan.vus_max)) != BO_OK) {
        code = rc == BO_E_TIMEOUT || rc == BO_E_UNAVAILABLE ? NB_EXIT_UNREACHABLE : NB_EXIT_FAILED;
        code = nb_run_interrupted() ? NB_EXIT_INTERRUPTED : code;
        goto out;
    }
    if (cfg->influx[0] != '\0' &&
        nb_influx_open(cfg->influx, cfg->influx_db, nb_scenario_name(cfg->scenario_id),
                       nb_type_name(cfg->type_id), cfg->run_id, &influx) != BO_OK) {
        fprintf(stderr, "nngbench: going on without InfluxDB\n");
    }
    fprintf(stderr, "nngbench: running %.0f s (run %s)\n", plan.total_seconds, cfg->run_id);
    if (cfg->async && (rc = nb_async_open(ctx, vus, plan.vus_max, &async)) != BO_OK) {
        fprintf(stderr, "nngbench: --async runs the seats and bigmap scenarios only (%s)\n",
                bo_error_name(rc));
        goto out;
    }
    if ((rc = nb_run(ctx, &plan, vus, async, influx, result)) != BO_OK) {
        goto out;
    }
    /* An interrupted run is not kept waiting for the check's own token. */
    nb_scenario_check(ctx, vus, plan.vus_max, !result->interrupted, &check);
    nb_report_print(stdout, cfg, result, &check);
    fflush(stdout);
    if (cfg->json[0] != '\0' &&
        nb_report_json(cfg->json, cfg, result, &check, ctx->concert_id) != BO_OK) {
        goto out;
    }
    code = result->interrupted ? NB_EXIT_INTERRUPTED : NB_EXIT_OK;
out:
    nb_async_close(async); /* before the VUs it drives */
    nb_influx_close(influx);
    if (ctx != NULL) {
        if (ctx->client != NULL) {
            nb_admin_restore(&ctx->admin, cfg, ctx->client);
        }
        nb_vus_destroy(vus, plan.vus_max);
        bo_client_close(ctx->client);
    }
    free(ctx);
    free(result);
    return code;
}
