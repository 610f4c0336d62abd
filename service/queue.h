/*
 * queue: the waiting line as the request handlers see it: issuing tokens,
 * reading their status, and deciding whether a token may do something.
 */
#ifndef SVC_QUEUE_H
#define SVC_QUEUE_H

#include "model.h"
#include "svc_context.h"
#include "token.h"

#define QUEUE_WUR __attribute__((warn_unused_result))

/* queue_issue gives user_id a token for concert_id (the live one if the user has it):
 * BO_E_USER_NOT_FOUND, BO_E_CONCERT_NOT_FOUND, BO_E_INVALID_ARGUMENT for id 0. text receives
 * the signed token (TOKEN_TEXT_MAX); *eta_seconds the estimated wait. */
QUEUE_WUR int queue_issue(struct svc_context *ctx, uint64_t user_id, uint64_t concert_id,
                          struct queue_token *out, char *text, size_t textlen,
                          uint32_t *eta_seconds, int *created);

/* queue_status verifies text and reads the token without extending it; an EXPIRED token is
 * answered (BO_OK, status EXPIRED), a forged one is BO_E_TOKEN_INVALID. */
QUEUE_WUR int queue_status(struct svc_context *ctx, const char *text, struct queue_token *out,
                           uint32_t *eta_seconds);

/*
 * queue_authorize verifies text and checks the token may act now: BO_E_TOKEN_MISSING,
 * BO_E_TOKEN_INVALID, BO_E_TOKEN_EXPIRED, and with need_active BO_E_TOKEN_NOT_ACTIVE for a
 * WAITING token. An ACTIVE token's idle expiry is extended. Writes the token on success.
 */
QUEUE_WUR int queue_authorize(struct svc_context *ctx, const char *text, int need_active,
                              struct queue_token *out);

/* queue_finish expires the token after its holder paid. */
QUEUE_WUR int queue_finish(struct svc_context *ctx, const struct queue_token *t);

/* queue_eta_seconds estimates the wait of a token at position under settings. */
uint32_t queue_eta_seconds(uint64_t position, const struct admission_settings *settings);

#endif
