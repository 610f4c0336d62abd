/* accounts: sign-up, login, logout and just-in-time users (see accounts.h). */
#include "accounts.h"

#include "bo_error.h"
#include "bo_time.h"
#include "rate_limits.h"
#include "password.h"

#include <stdio.h>
#include <string.h>

/* accounts_name_ok tells whether name is 1..ACCOUNTS_NAME_MAX bytes without control
 * characters (UTF-8 beyond ASCII is kept as sent). */
static int accounts_name_ok(const char *name)
{
    size_t n = 0;

    for (; name != NULL && name[n] != '\0'; n++) {
        unsigned char c = (unsigned char)name[n];
        if (c < 0x20 || c == 0x7f || n >= ACCOUNTS_NAME_MAX) {
            return 0;
        }
    }
    return n > 0;
}

int accounts_create(struct svc_context *ctx, const char *name, const char *password,
                    uint64_t *user_id, char *msg, size_t msglen, uint32_t *retry_after)
{
    char hash[PASSWORD_HASH_MAX];
    size_t plen = password != NULL ? strlen(password) : 0;
    int rc;

    msg[0] = '\0';
    if (!accounts_name_ok(name)) {
        snprintf(msg, msglen, "name must be 1 to %d characters, without control characters",
                 ACCOUNTS_NAME_MAX);
        return BO_E_INVALID_ARGUMENT;
    }
    if (plen < PASSWORD_MIN || plen > PASSWORD_MAX) {
        snprintf(msg, msglen, "password must be %d to %d bytes", PASSWORD_MIN, PASSWORD_MAX);
        return BO_E_INVALID_ARGUMENT;
    }
    rc = rate_limits_check(ctx, LIMIT_SIGNUP, 0, ctx->caller.client_addr, retry_after);
    if (rc != BO_OK) {
        return rc;
    }
    if ((rc = password_hash(password, hash)) != BO_OK) {
        return rc;
    }
    return store_user_create(ctx->store, name, hash, user_id);
}

int accounts_login(struct svc_context *ctx, uint64_t user_id, const char *password, char *session,
                   size_t len, struct identity *out, uint32_t *retry_after)
{
    char hash[PASSWORD_HASH_MAX];
    const char *known = NULL;
    int rc;

    if (password == NULL || strlen(password) > PASSWORD_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    rc = rate_limits_check(ctx, LIMIT_LOGIN, user_id, ctx->caller.client_addr, retry_after);
    if (rc != BO_OK) {
        return rc;
    }
    if (user_id != 0) {
        rc = store_user_password(ctx->store, user_id, hash, sizeof(hash));
        if (rc == BO_OK && hash[0] != '\0') {
            known = hash;
        } else if (rc != BO_OK && rc != BO_E_USER_NOT_FOUND) {
            return rc;
        }
    }
    /* Unknown users and users without a password do the same work against a dummy hash. */
    if ((rc = password_verify(known, password)) != BO_OK) {
        return rc;
    }
    return identity_session_issue(ctx->keys, user_id, bo_time_now_ms(),
                                  ctx->cfg->session_ttl_seconds, session, len, out);
}

int accounts_logout(struct svc_context *ctx)
{
    const struct identity *who = &ctx->caller.who;

    if (!ctx->caller.proven) {
        return BO_E_SESSION_MISSING;
    }
    if (who->kind != IDENTITY_SESSION) {
        return BO_E_INVALID_ARGUMENT;
    }
    return cache_session_revoke(ctx->cache, who->session_id, who->expires_at_ms);
}

int accounts_user_check(struct svc_context *ctx, uint64_t user_id)
{
    const struct identity *who = &ctx->caller.who;
    int rc = store_user_exists(ctx->store, user_id);

    if (rc == BO_E_USER_NOT_FOUND && ctx->caller.proven && who->kind == IDENTITY_OPERATOR &&
        who->user_id == user_id) {
        rc = store_user_ensure(ctx->store, user_id);
    }
    return rc;
}
