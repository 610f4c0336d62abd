/*
 * accounts: built-in accounts (sign-up, login, logout) and the users of operator identity
 * tokens, made on first use.
 */
#ifndef SVC_ACCOUNTS_H
#define SVC_ACCOUNTS_H

#include "identity.h"
#include "svc_context.h"

#include <stddef.h>
#include <stdint.h>

#define ACCOUNTS_NAME_MAX 64 /* bytes of a display name */

/* accounts_create signs up name with password (PASSWORD_MIN..PASSWORD_MAX bytes, name 1 to
 * ACCOUNTS_NAME_MAX printable bytes: else BO_E_INVALID_ARGUMENT with a sentence in msg), rate
 * limited per client address; *user_id receives the new id. */
__attribute__((warn_unused_result)) int accounts_create(struct svc_context *ctx, const char *name,
                                                        const char *password, uint64_t *user_id,
                                                        char *msg, size_t msglen,
                                                        uint32_t *retry_after);

/* accounts_login checks user_id's password and opens a session: session receives its text
 * (IDENTITY_SESSION_MAX), out its identity. A wrong password, an unknown user and a user
 * without a password are all BO_E_LOGIN_FAILED after the same work. Rate limited per user and
 * per client address. */
__attribute__((warn_unused_result)) int accounts_login(struct svc_context *ctx, uint64_t user_id,
                                                       const char *password, char *session,
                                                       size_t len, struct identity *out,
                                                       uint32_t *retry_after);

/* accounts_logout revokes the caller's session on every instance (until it would have expired
 * anyway); BO_E_INVALID_ARGUMENT for an operator identity token, which only its exp ends. */
__attribute__((warn_unused_result)) int accounts_logout(struct svc_context *ctx);

/* accounts_user_check returns BO_OK when user_id exists, making it first when the caller is an
 * operator identity token of that user (single sign-on's just-in-time user); else
 * BO_E_USER_NOT_FOUND. */
__attribute__((warn_unused_result)) int accounts_user_check(struct svc_context *ctx,
                                                            uint64_t user_id);

#endif
