/* admin: catalog creation and admission tuning (see admin.h). */
#include "admin.h"

#include "bo_error.h"
#include "bo_time.h"
#include "catalog_memory.h"
#include "rate_limits.h"

#include <openssl/crypto.h>
#include <string.h>

int admin_check(struct svc_context *ctx, const char *key)
{
    const char *want = ctx->cfg->admin_key;
    size_t n = strlen(want);

    if (n == 0 || strlen(key) != n || CRYPTO_memcmp(key, want, n) != 0) {
        return BO_E_ADMIN_KEY_INVALID;
    }
    return BO_OK;
}

static int admin_text_ok(const char *text, int required)
{
    size_t n = strlen(text);
    return (!required || n > 0) && n < MODEL_TEXT_MAX;
}

int admin_concert_create(struct svc_context *ctx, const char *key, const char *title,
                         const char *artist, const char *venue, int64_t sale_opens_at_ms,
                         struct concert *out)
{
    int rc;

    if ((rc = admin_check(ctx, key)) != BO_OK) {
        return rc;
    }
    if (!admin_text_ok(title, 1) || !admin_text_ok(artist, 0) || !admin_text_ok(venue, 0) ||
        sale_opens_at_ms < 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    rc = store_concert_create(ctx->store, title, artist, venue, sale_opens_at_ms, out);
    if (rc != BO_OK || sale_opens_at_ms == 0) {
        return rc;
    }
    /* The line in Redis knows the opening before anyone joins. */
    return cache_concert_opens_set(ctx->cache, out->id, sale_opens_at_ms);
}

int admin_concert_opens(struct svc_context *ctx, const char *key, uint64_t concert_id,
                        int64_t sale_opens_at_ms, struct concert *out)
{
    int rc;

    if ((rc = admin_check(ctx, key)) != BO_OK) {
        return rc;
    }
    if (sale_opens_at_ms < 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    rc = store_concert_set_opens(ctx->store, concert_id, sale_opens_at_ms, out);
    if (rc != BO_OK) {
        return rc;
    }
    catalog_memory_keep_opens(ctx->catalog, concert_id, sale_opens_at_ms, bo_time_mono_ms());
    /* The line in Redis learns it now, not at the next token issue. */
    return cache_concert_opens_set(ctx->cache, concert_id, sale_opens_at_ms);
}

int admin_schedule_create(struct svc_context *ctx, const char *key,
                          const struct admin_schedule_ask *ask, struct schedule *out)
{
    int64_t seat_prices[SEATS_PER_SCHEDULE];
    const int64_t *prices = ask->prices;
    size_t nprices = ask->nprices;
    int64_t price = ask->price;
    uint64_t concert_id = ask->concert_id;
    int64_t starts_at_ms = ask->starts_at_ms;
    int rc;

    if ((rc = admin_check(ctx, key)) != BO_OK) {
        return rc;
    }
    if (starts_at_ms <= 0 || (nprices != 0 && nprices != SEATS_PER_SCHEDULE)) {
        return BO_E_INVALID_ARGUMENT;
    }
    if (ask->venue_id != 0) {
        /* A venue's sections have their prices: a price of the hall's kind is a mistake. */
        if (nprices != 0 || price != 0) {
            return BO_E_INVALID_ARGUMENT;
        }
        return concert_id == 0 ? BO_E_CONCERT_NOT_FOUND
                               : store_schedule_create_venue(ctx->store, concert_id, starts_at_ms,
                                                             ask->venue_id, out);
    }
    for (size_t i = 0; i < SEATS_PER_SCHEDULE; i++) {
        seat_prices[i] = nprices != 0 ? prices[i] : price;
        if (seat_prices[i] < 0 || seat_prices[i] > POINTS_CHARGE_MAX) {
            return BO_E_INVALID_ARGUMENT;
        }
    }
    if (concert_id == 0) {
        return BO_E_CONCERT_NOT_FOUND;
    }
    return store_schedule_create(ctx->store, concert_id, starts_at_ms, seat_prices, out);
}

int admin_settings(struct svc_context *ctx, const char *key,
                   const struct admission_settings *changes, struct admission_settings *out)
{
    struct admission_settings defaults;
    int rc;

    if ((rc = admin_check(ctx, key)) != BO_OK) {
        return rc;
    }
    if (changes != NULL) {
        if (changes->rate_per_second > 1000000 || changes->max_active > 10000000 ||
            (changes->token_ttl_seconds != 0 && changes->token_ttl_seconds < 5) ||
            changes->token_ttl_seconds > 86400 || changes->hold_ttl_seconds > 86400 ||
            changes->max_seats_per_hold > HOLD_SEATS_MAX) {
            return BO_E_INVALID_ARGUMENT;
        }
        if ((rc = cache_settings_set(ctx->cache, changes)) != BO_OK) {
            return rc;
        }
    }
    svc_config_admission_defaults(ctx->cfg, &defaults);
    if ((rc = cache_settings_get(ctx->cache, &defaults, out)) != BO_OK) {
        return rc;
    }
    ctx->settings = *out;
    return BO_OK;
}

int admin_limits(struct svc_context *ctx, const char *key, const struct limits *changes,
                 uint32_t mask, struct limits *out)
{
    struct limits defaults;
    int rc;

    if ((rc = admin_check(ctx, key)) != BO_OK) {
        return rc;
    }
    if (changes != NULL && mask != 0 &&
        (rc = cache_limits_set(ctx->cache, changes, &mask)) != BO_OK) {
        return rc;
    }
    rate_limits_defaults(&defaults);
    if ((rc = cache_limits_get(ctx->cache, &defaults, out)) != BO_OK) {
        return rc;
    }
    ctx->limits = *out; /* this worker at once; the others within a second */
    return BO_OK;
}
