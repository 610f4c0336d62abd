/*
 * model: the plain domain records the service's modules pass between them.
 *
 * No libpq, hiredis, nng or protobuf here. Enumerations use the same numbers
 * as their protobuf counterparts so dispatch converts by value. Times are Unix
 * milliseconds (UTC); money is an integer number of points.
 */
#ifndef SVC_MODEL_H
#define SVC_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define SEATS_PER_SCHEDULE 50
#define MODEL_TEXT_MAX     128
/* Largest balance a wallet may hold, and largest single charge. */
#define POINTS_BALANCE_MAX 1000000000000LL
#define POINTS_CHARGE_MAX  100000000LL
/* Idempotency keys: 1..IDEMPOTENCY_KEY_MAX printable ASCII characters. */
#define IDEMPOTENCY_KEY_MAX 128

/* Venues: at most this many sections, seats in all, and seats in one hold. */
#define VENUE_SECTIONS_MAX     64
#define VENUE_SEATS_MAX        100000
#define VENUE_SECTION_NAME_MAX 16
#define HOLD_SEATS_MAX         10

enum seat_status { SEAT_AVAILABLE = 1, SEAT_HELD = 2, SEAT_SOLD = 3 };
enum reservation_status {
    RESERVATION_HELD = 1,
    RESERVATION_CONFIRMED = 2,
    RESERVATION_CANCELLED = 3,
    RESERVATION_EXPIRED = 4,
};
enum token_status { TOKEN_WAITING = 1, TOKEN_ACTIVE = 2, TOKEN_EXPIRED = 3 };

struct concert {
    uint64_t id;
    char title[MODEL_TEXT_MAX];
    char artist[MODEL_TEXT_MAX];
    char venue[MODEL_TEXT_MAX];
    uint32_t schedule_count;
    int64_t sale_opens_at_ms; /* 0: the sale is open */
};

struct schedule {
    uint64_t id;
    uint64_t concert_id;
    int64_t starts_at_ms;
    uint32_t available_seats; /* neither sold nor held by an unexpired hold */
    uint32_t total_seats;
    uint64_t venue_id; /* 0: the 50-seat hall */
};

struct seat {
    uint32_t seat_no; /* 1..SEATS_PER_SCHEDULE */
    int64_t price;
    int status; /* enum seat_status; a hold past its expiry counts as AVAILABLE */
};

/* A section of a venue: rows x seats_per_row seats numbered on a date from first_seat_no, row
 * by row, row 1 nearest the stage. */
struct section {
    char name[VENUE_SECTION_NAME_MAX + 1]; /* letters and digits */
    uint32_t rows;
    uint32_t seats_per_row;
    int64_t price;
    uint32_t first_seat_no;
    uint32_t available_seats; /* when counted: neither sold nor held by an unexpired hold */
};

struct venue {
    uint64_t id;
    char name[MODEL_TEXT_MAX];
    uint32_t capacity;
    size_t n_sections;
    struct section sections[VENUE_SECTIONS_MAX];
};

/* Where a seat of a venue date is. */
struct seat_place {
    const struct section *section; /* borrowed from its venue */
    uint32_t row;                  /* 1.. */
    uint32_t number;               /* 1.. within the row */
};

struct reservation {
    uint64_t id;
    uint64_t user_id;
    uint64_t concert_id;
    uint64_t schedule_id;
    uint32_t seat_no;
    int64_t price;
    int status; /* enum reservation_status */
    int64_t held_at_ms;
    int64_t expires_at_ms;
};

/* Where a seat of a venue date is, by value (empty section: a seat of the hall). */
struct seat_where {
    char section[VENUE_SECTION_NAME_MAX + 1];
    uint32_t row;
    uint32_t number;
};

/* The seats of a hold with their own prices, lowest seat first, and (filled in by the service
 * for a venue date) where each is. */
struct seat_list {
    size_t n;
    uint32_t seat_nos[HOLD_SEATS_MAX];
    int64_t prices[HOLD_SEATS_MAX];
    struct seat_where where[HOLD_SEATS_MAX];
};

/* A hold of one or more seats: its reservation (the lowest seat's; price is the total) and
 * every seat. */
struct hold {
    struct reservation r;
    struct seat_list seats;
};

struct payment {
    uint64_t id;
    uint64_t reservation_id;
    uint64_t user_id;
    uint64_t schedule_id;
    uint32_t seat_no;
    int64_t amount;
    int64_t paid_at_ms;
    int64_t balance_after;
    struct seat_list seats; /* every seat paid for */
};

struct refund {
    uint64_t payment_id;
    uint64_t reservation_id;
    uint64_t schedule_id;
    uint64_t concert_id;
    struct seat_list seats; /* the seats paid for and now on sale again (places not filled) */
    int64_t amount;         /* points given back */
    int64_t paid_at_ms;
    int64_t refunded_at_ms;
    int64_t balance_after;
};

struct charge {
    uint64_t user_id;
    int64_t amount;
    int64_t balance; /* balance right after this charge */
    uint64_t ledger_id;
};

struct queue_token {
    uint64_t concert_id;
    uint64_t user_id;
    uint64_t sequence;     /* issue order within the concert, from 1 */
    uint64_t admission_no; /* admission order within the concert, 0 until ACTIVE */
    int status;            /* enum token_status */
    uint64_t position;     /* 1-based place in line while WAITING, else 0 */
    int64_t issued_at_ms;
    int64_t admitted_at_ms;
    int64_t expires_at_ms;    /* while ACTIVE: when it expires (fixed at admission) */
    int64_t sale_opens_at_ms; /* while WAITING for the sale to open: when it opens (position
                                 0), else 0 */
};

struct admission_settings {
    uint32_t rate_per_second;    /* admissions per second per concert */
    uint32_t max_active;         /* ACTIVE tokens per concert at most */
    uint32_t token_ttl_seconds;  /* an ACTIVE token unused this long expires */
    uint32_t hold_ttl_seconds;   /* how long a hold lasts */
    uint32_t max_seats_per_hold; /* seats one hold may take, 1..HOLD_SEATS_MAX */
};

#endif
