/*
 * store: every PostgreSQL statement of the service, behind plain records.
 *
 * One struct store is one connection, owned by one thread. libpq stays inside
 * service/store_*.c (store_conn.h is their internal header). SQLSTATEs are
 * translated there (23505 on a seat becomes BO_E_SEAT_TAKEN) and native
 * messages logged there, once. Every statement uses parameters (PQexecParams /
 * prepared statements), never text pasted into SQL.
 *
 * A lost connection is reset and the operation retried once when nothing of
 * it can have been applied; otherwise BO_E_UNAVAILABLE is returned and the
 * caller may retry (with its Idempotency-Key for money).
 *
 * All functions return 0 (BO_OK) or a code from bo_error.h, and write their
 * out-parameters only on success.
 */
#ifndef SVC_STORE_H
#define SVC_STORE_H

#include "bo_seatmap.h"
#include "model.h"

#define STORE_WUR __attribute__((warn_unused_result))

struct store;

/* ---- connection (store_conn.c) ------------------------------------------- */

/* store_open connects with a libpq conninfo or postgres:// URL; the caller closes with
 * store_close. Returns BO_E_UNAVAILABLE when the server cannot be reached. */
STORE_WUR int store_open(const char *conninfo, struct store **out);

/* store_close closes the connection; safe on NULL. */
void store_close(struct store *s);

/* store_ping checks the connection with a trivial query, reconnecting if needed. */
STORE_WUR int store_ping(struct store *s);

/* ---- migrations (store_migrate.c; main and the test environment only) ---- */

/* store_migrate applies, in file-name order, every db/migrations/NNN_name.sql in dir not yet
 * recorded in schema_migrations, each in its own transaction under an advisory lock, so
 * concurrent instances migrate once. *applied receives how many ran. */
STORE_WUR int store_migrate(struct store *s, const char *dir, int *applied);

/* store_exec_file runs a whole SQL file (the seed) in one transaction. */
STORE_WUR int store_exec_file(struct store *s, const char *path);

/* ---- users and catalog (store_catalog.c) --------------------------------- */

/* store_user_exists returns BO_OK or BO_E_USER_NOT_FOUND. */
STORE_WUR int store_user_exists(struct store *s, uint64_t user_id);

/* store_user_create makes an account named name with the password hash (an Argon2id string)
 * and an empty wallet; *user_id receives its new id. */
STORE_WUR int store_user_create(struct store *s, const char *name, const char *password_hash,
                                uint64_t *user_id);

/* store_user_ensure makes user_id, with an empty wallet, unless it exists: a user named by an
 * operator identity token, on first use. */
STORE_WUR int store_user_ensure(struct store *s, uint64_t user_id);

/* store_user_password copies user_id's password hash into hash (size len; "" when the user
 * has none); BO_E_USER_NOT_FOUND for an unknown user. */
STORE_WUR int store_user_password(struct store *s, uint64_t user_id, char *hash, size_t len);

/* store_concert_exists returns BO_OK or BO_E_CONCERT_NOT_FOUND. */
STORE_WUR int store_concert_exists(struct store *s, uint64_t concert_id);

/* store_concert_opens writes when concert_id's sale opens (0: open) into *opens_ms;
 * BO_E_CONCERT_NOT_FOUND for an unknown concert. */
STORE_WUR int store_concert_opens(struct store *s, uint64_t concert_id, int64_t *opens_ms);

/* store_concert_set_opens sets when concert_id's sale opens (0: open now) and reads the concert
 * back into out; BO_E_CONCERT_NOT_FOUND. */
STORE_WUR int store_concert_set_opens(struct store *s, uint64_t concert_id, int64_t opens_ms,
                                      struct concert *out);

/* store_concerts_list returns every concert by id; caller frees *out with free(). */
STORE_WUR int store_concerts_list(struct store *s, struct concert **out, size_t *n);

/* store_schedule_dates returns every date of the concert by start time, sold out or not, with
 * both seat counts 0; caller frees *out with free(). BO_E_CONCERT_NOT_FOUND for an unknown
 * concert. */
STORE_WUR int store_schedule_dates(struct store *s, uint64_t concert_id, struct schedule **out,
                                   size_t *n);

/* store_schedule_get reads one date with its seat counts; BO_E_SCHEDULE_NOT_FOUND. */
STORE_WUR int store_schedule_get(struct store *s, uint64_t schedule_id, struct schedule *out);

/* A seat state with its date, as store_seat_states_many reads them. */
struct store_seat_row {
    uint64_t schedule_id;
    struct bo_seat_state seat;
};

/* store_seat_states_many reads the maps of the dates in ids, an array literal of PostgreSQL
 * ("{4,9,12}"), as store_seat_states_list reads one, into a new array *out of *n rows (caller
 * frees with free()), by date then seat; an unknown date has no rows. */
STORE_WUR int store_seat_states_many(struct store *s, const char *ids, struct store_seat_row **out,
                                     size_t *n);

/* store_live_seats_many reads the live reservations (HELD, lapsed or not, and CONFIRMED) of the
 * dates in ids (as for store_seat_states_many) as seat states without a price, into a new
 * array *out of *n rows (caller frees with free()), by date then seat. */
STORE_WUR int store_live_seats_many(struct store *s, const char *ids, struct store_seat_row **out,
                                    size_t *n);

/* The seat counts of one date, as store_seat_counts_many reads them. */
struct store_seat_count {
    uint64_t schedule_id;
    uint32_t available; /* neither sold nor held by an unexpired hold */
    uint32_t total;
};

/* store_seat_counts_many counts the seats of the dates in ids (as for store_seat_states_many)
 * into a new array *out of *n rows (caller frees with free()), one a date, by date; an
 * unknown date counts 0 of 0. */
STORE_WUR int store_seat_counts_many(struct store *s, const char *ids,
                                     struct store_seat_count **out, size_t *n);

/* store_seat_states_list fills out[0..max) with the seat map as of now, seat 1 first, each seat
 * with its live reservation (0: none) and, while HELD, when the hold lapses (a lapsed hold
 * reads AVAILABLE, still naming its reservation); *n receives the count (at most max: the
 * first max seats). BO_E_SCHEDULE_NOT_FOUND for an unknown date. */
STORE_WUR int store_seat_states_list(struct store *s, uint64_t schedule_id,
                                     struct bo_seat_state *out, size_t max, size_t *n);

/* store_seats_list is store_seat_states_list as struct seat records (statuses only). */
STORE_WUR int store_seats_list(struct store *s, uint64_t schedule_id,
                               struct seat out[SEATS_PER_SCHEDULE], size_t *n);

/* ---- reservations (store_holds.c) ---------------------------------------- */

/*
 * store_hold_insert holds seat_no of schedule_id for user_id until now + hold_ms, in one
 * transaction that first ends expired holds on that seat and of that user. A partial unique
 * index decides races: BO_E_SEAT_TAKEN when the seat is held or sold, BO_E_HOLD_LIMIT when the
 * user already holds a seat of that date, BO_E_SCHEDULE_NOT_FOUND, BO_E_SEAT_NOT_FOUND.
 */
STORE_WUR int store_hold_insert(struct store *s, uint64_t user_id, uint64_t schedule_id,
                                uint32_t seat_no, int64_t hold_ms, struct reservation *out);

/* store_hold_release cancels the user's own unexpired hold on a date of concert_id (the
 * concert of the caller's queue token), in one statement: BO_E_RESERVATION_NOT_FOUND,
 * BO_E_NOT_OWNER, BO_E_WRONG_CONCERT (the user's hold is of another concert), BO_E_HOLD_EXPIRED,
 * BO_E_RESERVATION_NOT_HELD. *out is the cancelled hold with every seat of it. */
STORE_WUR int store_hold_release(struct store *s, uint64_t user_id, uint64_t concert_id,
                                 uint64_t reservation_id, struct hold *out);

/* store_reservation_get reads one reservation; BO_E_RESERVATION_NOT_FOUND. */
STORE_WUR int store_reservation_get(struct store *s, uint64_t reservation_id,
                                    struct reservation *out);

/* store_holds_expire marks every HELD reservation past its expiry EXPIRED; *n receives how many. */
STORE_WUR int store_holds_expire(struct store *s, size_t *n);

/* ---- points and payments (store_money.c) --------------------------------- */

/* store_idem_sweep deletes up to limit idempotency keys created more than keep_seconds ago,
 * oldest first; *n receives how many. */
STORE_WUR int store_idem_sweep(struct store *s, int64_t keep_seconds, int64_t limit, size_t *n);

/* store_balance_get reads the user's balance; BO_E_USER_NOT_FOUND. */
STORE_WUR int store_balance_get(struct store *s, uint64_t user_id, int64_t *balance);

/*
 * store_points_charge adds amount (1..POINTS_CHARGE_MAX) to the balance and writes its ledger
 * row in one transaction. With a non-empty idem_key, a repeat with the same key and amount
 * returns the first result with *replayed = 1 and changes nothing; the same key with another
 * amount is BO_E_IDEMPOTENCY_MISMATCH. BO_E_USER_NOT_FOUND, BO_E_BALANCE_LIMIT.
 */
STORE_WUR int store_points_charge(struct store *s, uint64_t user_id, int64_t amount,
                                  const char *idem_key, struct charge *out, int *replayed);

/*
 * store_payment_make pays the user's held reservation on a date of concert_id (the concert of
 * the caller's queue token) in one transaction: balance debited (never below zero), ledger
 * row, payment row, reservation CONFIRMED (so the seat is SOLD). With a non-empty idem_key a
 * repeat returns the first payment with *replayed = 1; a key used for another reservation is
 * BO_E_IDEMPOTENCY_MISMATCH. A repeat without a key of an already paid reservation of the same
 * user also returns its payment with *replayed = 1. BO_E_RESERVATION_NOT_FOUND, BO_E_NOT_OWNER,
 * BO_E_WRONG_CONCERT (the user's reservation is of another concert: nothing is claimed or
 * paid), BO_E_HOLD_EXPIRED, BO_E_RESERVATION_NOT_HELD, BO_E_INSUFFICIENT_POINTS.
 */
STORE_WUR int store_payment_make(struct store *s, uint64_t user_id, uint64_t concert_id,
                                 uint64_t reservation_id, const char *idem_key, struct payment *out,
                                 int *replayed);

/* store_payment_find reads the payment of reservation_id made by user_id; BO_E_NOT_FOUND when
 * there is none. */
STORE_WUR int store_payment_find(struct store *s, uint64_t user_id, uint64_t reservation_id,
                                 struct payment *out);

/* ---- admin (store_catalog.c) --------------------------------------------- */

/* store_concert_create inserts a concert (title required, at most MODEL_TEXT_MAX-1 bytes) whose
 * sale opens at sale_opens_at_ms (0: open). */
STORE_WUR int store_concert_create(struct store *s, const char *title, const char *artist,
                                   const char *venue, int64_t sale_opens_at_ms,
                                   struct concert *out);

/* store_schedule_create inserts a date of concert_id with SEATS_PER_SCHEDULE seats priced
 * prices[0..50) (seat 1 first). BO_E_CONCERT_NOT_FOUND. */
STORE_WUR int store_schedule_create(struct store *s, uint64_t concert_id, int64_t starts_at_ms,
                                    const int64_t prices[SEATS_PER_SCHEDULE], struct schedule *out);

/* ---- venues, holds of several seats, refunds (store_venues.c) -------------- */

/* store_venue_check validates v's name and sections (names of 1..VENUE_SECTION_NAME_MAX
 * letters and digits, unique; 1..1000 rows and seats per row; prices >= 0; 1..VENUE_SECTIONS_MAX
 * sections, at most VENUE_SEATS_MAX seats) and writes its seat count to *capacity;
 * BO_E_INVALID_ARGUMENT otherwise. */
STORE_WUR int store_venue_check(const struct venue *v, uint32_t *capacity);

/* store_venue_create inserts venue v (name and sections filled in) and fills in its id,
 * capacity and each section's first seat number. Codes of store_venue_check. */
STORE_WUR int store_venue_create(struct store *s, struct venue *v);

/* store_venue_get reads venue venue_id with its sections; BO_E_VENUE_NOT_FOUND. */
STORE_WUR int store_venue_get(struct store *s, uint64_t venue_id, struct venue *out);

/* store_venue_place says where seat seat_no of a date on v is; BO_E_SEAT_NOT_FOUND. */
STORE_WUR int store_venue_place(const struct venue *v, uint32_t seat_no, struct seat_place *out);

/* store_schedule_create_venue inserts a date of concert_id on venue_id (its seats come from the
 * venue); BO_E_VENUE_NOT_FOUND, BO_E_CONCERT_NOT_FOUND. */
STORE_WUR int store_schedule_create_venue(struct store *s, uint64_t concert_id,
                                          int64_t starts_at_ms, uint64_t venue_id,
                                          struct schedule *out);

/* store_schedule_venue reads the concert and venue (0: the hall) of schedule_id;
 * BO_E_SCHEDULE_NOT_FOUND. */
STORE_WUR int store_schedule_venue(struct store *s, uint64_t schedule_id, uint64_t *concert_id,
                                   uint64_t *venue_id);

/* What a hold of several seats asks for. */
struct store_hold_ask {
    uint64_t user_id;
    uint64_t concert_id; /* of the caller's queue token */
    uint64_t schedule_id;
    const uint32_t *seat_nos; /* n distinct seats */
    size_t n;                 /* 1..HOLD_SEATS_MAX */
    int64_t hold_ms;
};

/* store_hold_seats holds ask's seats for its user, all or nothing, in one round trip. Codes:
 * BO_E_SCHEDULE_NOT_FOUND, BO_E_WRONG_CONCERT, BO_E_HOLD_LIMIT, BO_E_INVALID_ARGUMENT (seats
 * repeated), and BO_E_SEAT_NOT_FOUND or BO_E_SEAT_TAKEN with the seats concerned in
 * bad[0..*n_bad) (nothing held). */
STORE_WUR int store_hold_seats(struct store *s, const struct store_hold_ask *ask, struct hold *out,
                               uint32_t bad[HOLD_SEATS_MAX], size_t *n_bad);

/* store_refund refunds payment_id of user_id while its date starts more than cutoff_ms from
 * now, once (a repeat answers the refund again with *replayed set); key (NULL: none) with its
 * request fingerprint makes a retry safe. Codes: BO_E_PAYMENT_NOT_FOUND, BO_E_NOT_OWNER,
 * BO_E_REFUND_CLOSED, BO_E_IDEMPOTENCY_MISMATCH. */
STORE_WUR int store_refund(struct store *s, uint64_t user_id, uint64_t payment_id,
                           int64_t cutoff_ms, const char *key, const char *fingerprint,
                           struct refund *out, int *replayed);

#endif
