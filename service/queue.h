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

/* Largest number of tokens one queue_touch call takes: as many of the shortest signed tokens
 * ("v1.1.1.1." and a 43-character signature, 2 bytes of framing each) as one envelope carries
 * (BO_ENVELOPE_MAX_SIZE), so a request within the count is never refused for its size and the
 * count is never the narrower bound. */
#define QUEUE_TOUCH_MAX 4096

/* queue_issue gives user_id a token for concert_id (the live one if the user has it):
 * BO_E_USER_NOT_FOUND, BO_E_CONCERT_NOT_FOUND, BO_E_INVALID_ARGUMENT for id 0. text receives
 * the signed token (TOKEN_TEXT_MAX); *eta_seconds the estimated wait. Asking counts as the
 * holder being present (see queue_touch). With retry_after (an rpc's), the issue counts against
 * the caller's token-issue rate limits in its own Redis call: past one it is BO_E_RATE_LIMITED
 * and *retry_after says when to retry; NULL counts no limit. */
QUEUE_WUR int queue_issue(struct svc_context *ctx, uint64_t user_id, uint64_t concert_id,
                          struct queue_token *out, char *text, size_t textlen,
                          uint32_t *eta_seconds, int *created, uint32_t *retry_after);

/* queue_status verifies text and reads the token without extending its ACTIVE period; an
 * EXPIRED token is answered (BO_OK, status EXPIRED), also one Redis lost (whose ids may name
 * another user's token by now: that one is left as it was), a forged one is
 * BO_E_TOKEN_INVALID. A WAITING token's holder counts as present, so admission does not skip
 * it as abandoned. One Redis round trip. */
QUEUE_WUR int queue_status(struct svc_context *ctx, const char *text, struct queue_token *out,
                           uint32_t *eta_seconds);

/*
 * queue_authorize verifies text and checks the token may act now: BO_E_TOKEN_MISSING,
 * BO_E_TOKEN_INVALID, BO_E_TOKEN_EXPIRED, and with need_active BO_E_TOKEN_NOT_ACTIVE for a
 * WAITING token, and BO_E_NOT_OWNER when the call has a proven caller who is not the token's
 * user. The ACTIVE window is not extended. Writes the token on success.
 */
QUEUE_WUR int queue_authorize(struct svc_context *ctx, const char *text, int need_active,
                              struct queue_token *out);

/* queue_authorize_read is queue_authorize with need_active for reads (seat maps, dates): a token
 * the instance's token memory knows ACTIVE is taken without asking Redis (out then holds its
 * ids, status ACTIVE and expires_at_ms only). An ACTIVE token either checks is remembered. */
QUEUE_WUR int queue_authorize_read(struct svc_context *ctx, const char *text,
                                   struct queue_token *out);

/* queue_leave ends the proven caller's token text: leaves the line while WAITING, ends the
 * ACTIVE window early; out receives the token as it is now (EXPIRED). The instance's token
 * memory forgets it and an EXPIRED event goes out under "ended/" before this returns.
 * BO_E_NOT_OWNER for a text naming another user, BO_E_TOKEN_EXPIRED for a token already ended
 * or lost by Redis (also when its ids name another user's token by now: nothing is written). */
QUEUE_WUR int queue_leave(struct svc_context *ctx, const char *text, struct queue_token *out);

/* queue_finish expires the token after its holder paid; like queue_leave it is forgotten and
 * announced under "ended/" before this returns (the admission leader announces the end to
 * push listeners again, as for every end). A token whose ids Redis now gives another user's
 * token (it lost this one) is left alone and not announced: BO_OK, nothing to end. */
QUEUE_WUR int queue_finish(struct svc_context *ctx, const struct queue_token *t);

/*
 * queue_touch marks the holders of texts[0..n) as present (a push listener holds their
 * connections open), in one Redis round trip. Texts whose signature does not verify are
 * skipped. *touched receives how many tokens are live (WAITING or ACTIVE); expired[] (room
 * for n) the indexes of verified tokens that are no longer live, *nexpired their count.
 * BO_E_INVALID_ARGUMENT beyond QUEUE_TOUCH_MAX tokens.
 */
QUEUE_WUR int queue_touch(struct svc_context *ctx, char *const *texts, size_t n, uint32_t *touched,
                          size_t *expired, size_t *nexpired);

/* queue_seen_every_ms is how old a token's last-seen time must be before a poll writes it
 * again: a fraction of abandon_seconds, so polling every few seconds always keeps a token. */
int64_t queue_seen_every_ms(const struct svc_config *cfg);

/* queue_eta_seconds estimates the wait of a token at position under settings. */
uint32_t queue_eta_seconds(uint64_t position, const struct admission_settings *settings);

/* queue_eta_measured estimates the wait from the measured admission rate (thousandths per
 * second), or from the configured one while there is no measurement (below
 * CACHE_RATE_MIN_MILLI). */
uint32_t queue_eta_measured(uint64_t position, int64_t rate_milli,
                            const struct admission_settings *settings);

#endif
