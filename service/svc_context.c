/* svc_context: a worker's connections and cached settings (see svc_context.h). */
#include "svc_context.h"

#include "bo_error.h"
#include "bo_log.h"
#include "bo_time.h"
#include "rate_limits.h"
#include "metrics.h"

#include <string.h>

/* Admission settings change rarely (an admin tunes them); re-reading them once a second keeps
 * a Redis round trip off every request while letting changes reach every worker quickly. */
#define SVC_SETTINGS_REFRESH_MS 1000

int svc_context_init(struct svc_context *ctx, const struct svc_config *cfg)
{
    int rc;

    memset(ctx, 0, sizeof(*ctx));
    ctx->cfg = cfg;
    svc_config_admission_defaults(cfg, &ctx->settings);
    ctx->settings_read_ms = -SVC_SETTINGS_REFRESH_MS;
    rate_limits_defaults(&ctx->limits);
    ctx->limits_read_ms = -SVC_SETTINGS_REFRESH_MS;
    if ((rc = store_open(cfg->database_url, &ctx->store)) != BO_OK) {
        return rc;
    }
    return cache_open(cfg->redis_url, &ctx->cache);
}

void svc_context_fini(struct svc_context *ctx)
{
    cache_close(ctx->cache);
    store_close(ctx->store);
    ctx->cache = NULL;
    ctx->store = NULL;
}

void svc_context_settings(struct svc_context *ctx, struct admission_settings *out)
{
    int64_t now = bo_time_mono_ms();

    if (now - ctx->settings_read_ms >= SVC_SETTINGS_REFRESH_MS) {
        struct admission_settings defaults, fresh;
        svc_config_admission_defaults(ctx->cfg, &defaults);
        if (cache_settings_get(ctx->cache, &defaults, &fresh) == BO_OK) {
            ctx->settings = fresh;
        }
        ctx->settings_read_ms = now;
    }
    *out = ctx->settings;
}

void svc_context_limits(struct svc_context *ctx, struct limits *out)
{
    int64_t now = bo_time_mono_ms();

    if (now - ctx->limits_read_ms >= SVC_SETTINGS_REFRESH_MS) {
        struct limits defaults, fresh;
        rate_limits_defaults(&defaults);
        if (cache_limits_get(ctx->cache, &defaults, &fresh) == BO_OK) {
            ctx->limits = fresh;
        }
        ctx->limits_read_ms = now;
        for (int a = 0; a < LIMIT_NACTIONS; a++) {
            for (int s = 0; s < LIMIT_NSCOPES; s++) {
                if (a != LIMIT_SIGNUP || s != LIMIT_USER) {
                    metrics_rate_limit_gauge(a, s, rate_limits_value(&ctx->limits, a, s));
                }
            }
        }
    }
    *out = ctx->limits;
}
