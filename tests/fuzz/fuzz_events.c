/*
 * fuzz_events: published event messages (a topic line, '\n', a packed event) as their readers
 * decode them: the feed of service instances and bridges (proto/bo_feed.c, through
 * bo_feed_deliver: seat events applied to a seat map held in memory, ended tokens, admission
 * events) and the subscribers of libboxoffice (bo_feed_event_decode, which
 * bo_subscription_next reads by).
 */
#include "fuzz.h"

#include "bo_error.h"
#include "bo_feed.h"
#include "bo_seatmap.h"

#include <string.h>

#define FUZZ_EVENTS_SCHEDULE 1 /* the date whose map is held (the seeds' SeatEvents) */
#define FUZZ_EVENTS_SEATS    50

static struct bo_feed *fuzz_events_feed;
static struct bo_seatmap_table *fuzz_events_table;

static void fuzz_events_seats(void *arg, uint64_t schedule_id, uint64_t concert_id,
                              const struct bo_seat_state *changes, size_t n)
{
    struct bo_seat_state seats[FUZZ_EVENTS_SEATS];
    uint64_t concert = 0;
    size_t applied = 0, got = 0;

    bo_seatmap_table_apply(fuzz_events_table, schedule_id, changes, n, &applied);
    fuzz_check(applied <= n);
    fuzz_check(bo_seatmap_table_read(fuzz_events_table, FUZZ_EVENTS_SCHEDULE, 0, INT64_MAX,
                                     &concert, seats, FUZZ_EVENTS_SEATS, &got) == BO_OK);
    fuzz_check(got == FUZZ_EVENTS_SEATS);
    for (size_t i = 0; i < got; i++) {
        fuzz_check(seats[i].seat_no == i + 1);
    }
}

static void fuzz_events_ended(void *arg, uint64_t concert_id, uint64_t sequence, uint64_t user_id)
{
}

static void fuzz_events_admission(void *arg, const Boxoffice__V1__AdmissionEvent *e)
{
    fuzz_check(e->token_id != NULL && strlen(e->token_id) < SIZE_MAX);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const struct bo_feed_handlers h = {fuzz_events_seats, fuzz_events_ended,
                                              fuzz_events_admission, NULL};

    /* No addresses: the feed's thread never runs, bo_feed_deliver is its receive loop. */
    if (bo_feed_start("", NULL, &h, &fuzz_events_feed) != BO_OK ||
        bo_seatmap_table_open(4, &fuzz_events_table) != BO_OK) {
        fuzz_fail("cannot start a feed and a seat map table");
    }
    return 0;
}

/* fuzz_events_map_reset reads the map of FUZZ_EVENTS_SCHEDULE afresh (every seat available,
 * price 1000), so every input starts from the same map. */
static void fuzz_events_map_reset(void)
{
    struct bo_seat_state seats[FUZZ_EVENTS_SEATS];

    for (uint32_t i = 0; i < FUZZ_EVENTS_SEATS; i++) {
        seats[i] =
            (struct bo_seat_state){.seat_no = i + 1, .status = BO_SEAT_AVAILABLE, .price = 1000};
    }
    if (bo_seatmap_table_install(fuzz_events_table, FUZZ_EVENTS_SCHEDULE, 1, seats,
                                 FUZZ_EVENTS_SEATS, bo_seatmap_table_begin(fuzz_events_table),
                                 0) != BO_OK) {
        fuzz_fail("cannot install a seat map");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Boxoffice__V1__AdmissionEvent *e = NULL;

    fuzz_events_map_reset();
    bo_feed_deliver(fuzz_events_feed, data, size);

    int rc = bo_feed_event_decode(data, size, &e);
    if (rc == BO_OK) {
        fuzz_check(e != NULL && memchr(data, '\n', size) != NULL);
        boxoffice__v1__admission_event__free_unpacked(e, NULL);
    } else {
        fuzz_check(rc == BO_E_MALFORMED_REQUEST && e == NULL);
    }
    return 0;
}
