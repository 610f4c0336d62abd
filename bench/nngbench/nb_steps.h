/*
 * nb_steps: the rpc steps the scenarios are made of (nb_scenario.c, nb_venue.c): acting as a
 * user, joining a line and waiting until ACTIVE, listing dates and seats, charging and paying.
 *
 * A step given stats records each of its requests there (an iteration's, measured); with stats
 * NULL it is set-up or a check, not measured. Replies a step hands out are the caller's to free
 * (protobuf_c_message_free_unpacked).
 */
#ifndef NB_STEPS_H
#define NB_STEPS_H

#include "nb_scenario.h"

#include <stddef.h>
#include <stdint.h>

#define NB_USERS         100000u
#define NB_SETUP_WAIT_MS 60000
#define NB_POLL_MS       20

/* nb_rand returns the next number of the generator *state (xorshift64*; one a VU). */
uint64_t nb_rand(uint64_t *state);

/* nb_sleep_ms sleeps ms milliseconds. */
void nb_sleep_ms(int ms);

/* nb_stopped tells whether the run is over (ctx->stop). */
int nb_stopped(struct nb_scenario_ctx *ctx);

/* nb_act_as makes s act for user (its identity token minted and set as s's proof) unless *as
 * says it already does; sets *as. Returns BO_OK or the code of what failed. */
__attribute__((warn_unused_result)) int
nb_act_as(const struct nb_scenario_ctx *ctx, struct bo_session *s, uint64_t *as, uint64_t user);

/* nb_issue issues a token at concert for the user s acts for; copies it into token
 * (NB_TOKEN_MAX bytes; NULL: not kept) and its status into *status. */
int nb_issue(struct bo_session *s, struct nb_vu_stats *stats, uint64_t concert, char *token,
             int *status);

/* nb_token_status reads the status of token into *status. */
__attribute__((warn_unused_result)) int
nb_token_status(struct bo_session *s, struct nb_vu_stats *stats, const char *token, int *status);

/* nb_seats lists the seats of schedule (section NULL or "": the whole map; compact: the
 * letters) into *out. */
__attribute__((warn_unused_result)) int nb_seats(struct bo_session *s, struct nb_vu_stats *stats,
                                                 const char *token, uint64_t schedule,
                                                 const char *section, int compact,
                                                 Boxoffice__V1__ListSeatsReply **out);

/* nb_schedule_ids lists into ids[0..*n) the dates of concert with seats left (the first max). */
__attribute__((warn_unused_result)) int nb_schedule_ids(struct bo_session *s,
                                                        struct nb_vu_stats *stats,
                                                        const char *token, uint64_t concert,
                                                        uint64_t *ids, size_t max, size_t *n);

/* nb_vu_tokens issues a token at ctx->concert_id for each VU of vus[0..nvus) as users
 * 1..nvus and waits, over s, until all are ACTIVE (at most NB_SETUP_WAIT_MS); says on stderr
 * what failed. */
__attribute__((warn_unused_result)) int
nb_vu_tokens(struct nb_scenario_ctx *ctx, struct bo_session *s, struct nb_vu *vus, int nvus);

/* nb_join makes vu act as user, issues its token at concert into token (NB_TOKEN_MAX bytes)
 * and polls until it is ACTIVE. Returns BO_OK when it is; BO_E_TIMEOUT (vu->abandoned
 * counted) when the run ended or it was not admitted in time; else the failed call's code. */
__attribute__((warn_unused_result)) int nb_join(struct nb_scenario_ctx *ctx, struct nb_vu *vu,
                                                uint64_t concert, uint64_t user, char *token);

/* nb_buy charges price to user and pays reservation with token (each with an idempotency key
 * of the run), counting vu->payments when the payment went through; returns the code of the
 * first call that failed. */
int nb_buy(struct nb_scenario_ctx *ctx, struct nb_vu *vu, uint64_t user, const char *token,
           uint64_t reservation, int64_t price);

#endif
