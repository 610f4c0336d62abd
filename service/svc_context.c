/* svc_context: a worker's connections and cached settings, and what the workers share (see
 * svc_context.h). */
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

int svc_shared_open(const struct svc_config *cfg, const struct identity_keys *keys,
                    struct svc_shared *out)
{
    int rc;

    memset(out, 0, sizeof(*out));
    out->keys = keys;
    if ((rc = events_open(cfg->events_url, &out->events)) != BO_OK ||
        (rc = token_memory_open(TOKEN_MEMORY_SLOTS, &out->tokens)) != BO_OK ||
        (rc = seat_maps_open(cfg->peer_events_urls, cfg->events_url, out->events, out->tokens,
                             &out->maps)) != BO_OK ||
        (rc = venue_cache_open(&out->venues)) != BO_OK ||
        (rc = catalog_memory_open(&out->catalog)) != BO_OK) {
        svc_shared_close(out);
        return rc;
    }
    return BO_OK;
}

void svc_shared_close(struct svc_shared *sh)
{
    catalog_memory_close(sh->catalog);
    venue_cache_close(sh->venues);
    seat_maps_close(sh->maps); /* its feed first: it uses the token memory */
    token_memory_close(sh->tokens);
    events_close(sh->events);
    memset(sh, 0, sizeof(*sh));
}

void svc_context_share(struct svc_context *ctx, const struct svc_shared *sh)
{
    ctx->keys = sh->keys;
    ctx->events = sh->events;
    ctx->tokens = sh->tokens;
    ctx->maps = sh->maps;
    ctx->venues = sh->venues;
    ctx->catalog = sh->catalog;
}

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
    if ((rc = cache_open(cfg->redis_url, &ctx->cache)) != BO_OK) {
        return rc;
    }
    cache_ended_keep_set(ctx->cache, cfg->ended_token_keep_seconds * 1000);
    return BO_OK;
}

void svc_context_fini(struct svc_context *ctx)
{
    cache_close(ctx->cache);
    store_close(ctx->store);
    ctx->cache = NULL;
    ctx->store = NULL;
}

int svc_context_may_wait(struct svc_context *ctx)
{
    if (ctx->memory_only) {
        ctx->needs_io = 1;
        return 0;
    }
    return 1;
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
