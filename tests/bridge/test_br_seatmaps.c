/*
 * Unit suite for the bridge's memory, no servers: the seat-map renderer's exact JSON (the
 * same bytes the route always sent, a lapsed hold shown AVAILABLE, no hold end or reservation
 * shown) over the table and over a reply, and the token memory (br_tokens): remembered, the
 * exact text only, expiry, forgetting by ids and by text, the bound, threads.
 */
#include "bo_error.h"
#include "bo_seatmap.h"
#include "boxoffice/v1/boxoffice.pb-c.h"
#include "br_seatmaps.h"
#include "br_tokens.h"

#include "support.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW_MS   1764032500000LL /* 2025-11-25T01:01:40Z */
#define LATER_MS (NOW_MS + 300000)

/* ---- the renderer ---------------------------------------------------------------- */

/* Four seats: free, held (hold running), held (hold lapsed at NOW_MS), sold. */
static const struct bo_seat_state map_seats[] = {
    {.seat_no = 1, .status = BO_SEAT_AVAILABLE, .price = 99000},
    {.seat_no = 2,
     .status = BO_SEAT_HELD,
     .price = 99000,
     .held_until_ms = LATER_MS,
     .reservation_id = 500},
    {.seat_no = 3,
     .status = BO_SEAT_HELD,
     .price = 150000,
     .held_until_ms = NOW_MS,
     .reservation_id = 501},
    {.seat_no = 4, .status = BO_SEAT_SOLD, .price = 0, .reservation_id = 502},
};

static const char map_json[] = "{\"scheduleId\":70,\"concertId\":7,\"seats\":["
                               "{\"seatNo\":1,\"price\":99000,\"status\":\"AVAILABLE\"},"
                               "{\"seatNo\":2,\"price\":99000,\"status\":\"HELD\"},"
                               "{\"seatNo\":3,\"price\":150000,\"status\":\"AVAILABLE\"},"
                               "{\"seatNo\":4,\"price\":0,\"status\":\"SOLD\"}]}";

/* render writes seats as br_seatmaps_json does into b (emptied) and returns the text. */
static const char *render(struct br_buf *b, const struct bo_seat_state *seats, size_t n,
                          int64_t now_ms)
{
    struct br_json j;
    size_t len;

    br_buf_reset(b, 0);
    br_json_init(&j, b);
    br_seatmaps_json(&j, 70, 7, seats, n, now_ms);
    ck_assert_int_eq(b->failed, 0);
    ck_assert_uint_eq(j.depth, 0);
    return br_buf_content(b, &len);
}

START_TEST(render_exact)
{
    struct br_buf b;

    br_buf_init(&b);
    ck_assert_str_eq(render(&b, map_seats, 4, NOW_MS), map_json);
    /* a moment before the lapse, seat 3 is still held */
    const char *before = render(&b, map_seats, 4, NOW_MS - 1);
    ck_assert_ptr_nonnull(strstr(before, "{\"seatNo\":3,\"price\":150000,\"status\":\"HELD\"}"));
    ck_assert_str_eq(render(&b, map_seats, 0, NOW_MS),
                     "{\"scheduleId\":70,\"concertId\":7,\"seats\":[]}");
    br_buf_fini(&b);
}
END_TEST

/* A ListSeats reply, with what REST never shows (the hold's end, reservations, the token's
 * window), is written with the same bytes; a reply without its date names the request's. */
START_TEST(render_reply)
{
    Boxoffice__V1__Seat pb[4];
    Boxoffice__V1__Seat *ptrs[4];
    Boxoffice__V1__ListSeatsReply rep = BOXOFFICE__V1__LIST_SEATS_REPLY__INIT;
    Boxoffice__V1__ListSeatsRequest req = BOXOFFICE__V1__LIST_SEATS_REQUEST__INIT;
    struct br_buf b;
    struct br_json j;
    size_t len;

    for (int i = 0; i < 4; i++) {
        boxoffice__v1__seat__init(&pb[i]);
        pb[i].seat_no = map_seats[i].seat_no;
        pb[i].status = (Boxoffice__V1__SeatStatus)map_seats[i].status;
        pb[i].price = map_seats[i].price;
        pb[i].held_until_ms = map_seats[i].held_until_ms;
        pb[i].reservation_id = map_seats[i].reservation_id;
        ptrs[i] = &pb[i];
    }
    pb[2].held_until_ms = 1; /* lapsed long ago, whatever the clock says now */
    pb[1].held_until_ms = INT64_MAX;
    rep.concert_id = 7;
    rep.n_seats = 4;
    rep.seats = ptrs;
    rep.token_active_until_ms = LATER_MS;
    req.schedule_id = 70;

    br_buf_init(&b);
    br_buf_reset(&b, 0);
    br_json_init(&j, &b);
    ck_assert_int_eq(br_seatmaps_list_write(&j, &rep.base, &req.base), 200);
    ck_assert_str_eq(br_buf_content(&b, &len), map_json);
    br_buf_fini(&b);
}
END_TEST

/* render_blob is a bo_seatmap_render_fn as the bridge's: br_seatmaps_json into a blob. */
static int render_blob(void *arg, uint64_t schedule_id, uint64_t concert_id,
                       const struct bo_seat_state *seats, size_t n, int64_t now_ms,
                       struct bo_seatmap_blob **out)
{
    struct br_buf *b = arg;
    struct br_json j;
    size_t len;

    br_buf_reset(b, 0);
    br_json_init(&j, b);
    br_seatmaps_json(&j, schedule_id, concert_id, seats, n, now_ms);
    const char *text = br_buf_content(b, &len);
    struct bo_seatmap_blob *blob = bo_seatmap_blob_new(len);
    ck_assert_ptr_nonnull(blob);
    memcpy(blob->data, text, len);
    *out = blob;
    return BO_OK;
}

/* Through the table: installed, rendered; a change applied shows in the next rendering. */
START_TEST(render_table)
{
    struct bo_seatmap_table *t;
    struct bo_seatmap_blob *blob;
    struct br_buf b;
    uint64_t concert;

    br_buf_init(&b);
    ck_assert_int_eq(bo_seatmap_table_open(4, &t), BO_OK);
    uint64_t ticket = bo_seatmap_table_begin(t);
    ck_assert_int_eq(bo_seatmap_table_install(t, 70, 7, map_seats, 4, ticket, 1000), BO_OK);
    ck_assert_int_eq(bo_seatmap_table_rendered(t, 70, 1000, NOW_MS, BO_SEATMAP_REFRESH_MS,
                                               render_blob, &b, &concert, &blob),
                     BO_OK);
    ck_assert_uint_eq(concert, 7);
    ck_assert_str_eq(blob->data, map_json);
    bo_seatmap_blob_unref(blob);

    struct bo_seat_state sold = {
        .seat_no = 1, .status = BO_SEAT_SOLD, .price = 99000, .reservation_id = 600};
    bo_seatmap_table_apply(t, 70, &sold, 1, NULL);
    ck_assert_int_eq(bo_seatmap_table_rendered(t, 70, 1100, NOW_MS, BO_SEATMAP_REFRESH_MS,
                                               render_blob, &b, &concert, &blob),
                     BO_OK);
    ck_assert_ptr_nonnull(strstr(blob->data, "{\"seatNo\":1,\"price\":99000,\"status\":\"SOLD\"}"));
    bo_seatmap_blob_unref(blob);
    /* too old: read it again */
    ck_assert_int_eq(bo_seatmap_table_rendered(t, 70, 1000 + BO_SEATMAP_REFRESH_MS + 1, NOW_MS,
                                               BO_SEATMAP_REFRESH_MS, render_blob, &b, &concert,
                                               &blob),
                     BO_E_NOT_FOUND);
    bo_seatmap_table_close(t);
    br_buf_fini(&b);
}
END_TEST

/* ---- token memory ---------------------------------------------------------------------- */

#define TOKEN_A "v1.7.1001.41.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define TOKEN_B "v1.7.1002.42.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"

/* Texts and what br_tokens_parse reads from them (concert 0: refused). */
static const struct parse_case {
    const char *text;
    uint64_t concert, sequence;
} parse_cases[] = {
    {TOKEN_A, 7, 41},
    {"v1.18446744073709551615.1.2.s", UINT64_MAX, 2},
    {"v1.7.1001.41.", 0, 0},
    {"v1.7.1001.41", 0, 0},
    {"v1.7.1001.41.sig.more", 0, 0},
    {"v2.7.1001.41.sig", 0, 0},
    {"v1.7..41.sig", 0, 0},
    {"v1.-7.1001.41.sig", 0, 0},
    {"v1.18446744073709551616.1.2.s", 0, 0},
    {"v1.7.1001.4x1.sig", 0, 0},
    {"", 0, 0},
};

static void check_parse(const struct parse_case *c)
{
    uint64_t concert = 0, sequence = 0;
    int rc = br_tokens_parse(c->text, &concert, &sequence);

    if (c->concert == 0) {
        ck_assert_msg(rc == BO_E_TOKEN_INVALID, "'%s' parsed", c->text);
        return;
    }
    ck_assert_msg(rc == BO_OK, "'%s' refused", c->text);
    ck_assert_uint_eq(concert, c->concert);
    ck_assert_uint_eq(sequence, c->sequence);
}

SUPPORT_TABLE_TEST(tokens_parse, parse_cases, check_parse)

START_TEST(tokens_remember_and_lookup)
{
    struct br_tokens *t;
    uint64_t concert = 0;

    ck_assert_int_eq(br_tokens_create(64, &t), BO_OK);
    ck_assert_int_eq(br_tokens_lookup(t, TOKEN_A, NOW_MS, &concert), BO_E_NOT_FOUND);
    ck_assert_int_eq(br_tokens_remember(t, TOKEN_A, 7, LATER_MS, NOW_MS), BO_OK);
    ck_assert_int_eq(br_tokens_lookup(t, TOKEN_A, NOW_MS, &concert), BO_OK);
    ck_assert_uint_eq(concert, 7);
    ck_assert_uint_eq(br_tokens_count(t), 1);
    ck_assert_uint_eq(br_tokens_remembered(t), 1);

    /* the same ids under another signature, or another spelling, is another text */
    ck_assert_int_eq(br_tokens_lookup(t, "v1.7.1001.41.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
                                      NOW_MS, &concert),
                     BO_E_NOT_FOUND);
    ck_assert_int_eq(br_tokens_lookup(t,
                                      "v1.7.1001.041.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                      NOW_MS, &concert),
                     BO_E_NOT_FOUND);
    ck_assert_int_eq(br_tokens_lookup(t, "v1.7.1001.41.AAAA", NOW_MS, &concert), BO_E_NOT_FOUND);
    ck_assert_int_eq(br_tokens_lookup(t, TOKEN_B, NOW_MS, &concert), BO_E_NOT_FOUND);
    ck_assert_int_eq(br_tokens_lookup(t, "junk", NOW_MS, &concert), BO_E_NOT_FOUND);

    /* refused: another concert than the text's, a window already over, a text too long */
    ck_assert_int_eq(br_tokens_remember(t, TOKEN_B, 8, LATER_MS, NOW_MS), BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(br_tokens_remember(t, TOKEN_B, 7, NOW_MS, NOW_MS), BO_E_INVALID_ARGUMENT);
    char longer[BR_TOKENS_TEXT_MAX + 8];
    memset(longer, 'x', sizeof(longer));
    memcpy(longer, "v1.7.1.1.", 9);
    longer[sizeof(longer) - 1] = '\0';
    ck_assert_int_eq(br_tokens_remember(t, longer, 7, LATER_MS, NOW_MS), BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(br_tokens_remember(t, "not a token", 7, LATER_MS, NOW_MS),
                     BO_E_INVALID_ARGUMENT);
    ck_assert_uint_eq(br_tokens_count(t), 1);
    br_tokens_destroy(t);
}
END_TEST

/* tokens_with_a returns a memory of 64 entries holding TOKEN_A until LATER_MS. */
static struct br_tokens *tokens_with_a(void)
{
    struct br_tokens *t;

    ck_assert_int_eq(br_tokens_create(64, &t), BO_OK);
    ck_assert_int_eq(br_tokens_remember(t, TOKEN_A, 7, LATER_MS, NOW_MS), BO_OK);
    return t;
}

START_TEST(tokens_expire)
{
    struct br_tokens *t = tokens_with_a();
    uint64_t concert;

    ck_assert_int_eq(br_tokens_lookup(t, TOKEN_A, LATER_MS - 1, &concert), BO_OK);
    ck_assert_int_eq(br_tokens_lookup(t, TOKEN_A, LATER_MS, &concert), BO_E_NOT_FOUND);
    ck_assert_uint_eq(br_tokens_count(t), 0); /* dropped when found over */
    /* remembered again with a later window */
    ck_assert_int_eq(br_tokens_remember(t, TOKEN_A, 7, LATER_MS + 10, LATER_MS), BO_OK);
    ck_assert_int_eq(br_tokens_lookup(t, TOKEN_A, LATER_MS + 9, &concert), BO_OK);
    br_tokens_destroy(t);
}
END_TEST

START_TEST(tokens_forget)
{
    struct br_tokens *t = tokens_with_a();
    uint64_t concert;

    ck_assert_int_eq(br_tokens_remember(t, TOKEN_B, 7, LATER_MS, NOW_MS), BO_OK);
    /* other ids change nothing */
    br_tokens_forget(t, 7, 43);
    br_tokens_forget(t, 8, 41);
    ck_assert_uint_eq(br_tokens_count(t), 2);
    /* the ended event of (7, 41) */
    br_tokens_forget(t, 7, 41);
    ck_assert_int_eq(br_tokens_lookup(t, TOKEN_A, NOW_MS, &concert), BO_E_NOT_FOUND);
    ck_assert_int_eq(br_tokens_lookup(t, TOKEN_B, NOW_MS, &concert), BO_OK);
    /* the Pay or LeaveQueue this bridge relayed, by the request's text */
    br_tokens_forget_text(t, TOKEN_B);
    br_tokens_forget_text(t, "junk");
    br_tokens_forget_text(t, NULL);
    ck_assert_int_eq(br_tokens_lookup(t, TOKEN_B, NOW_MS, &concert), BO_E_NOT_FOUND);
    ck_assert_uint_eq(br_tokens_count(t), 0);
    br_tokens_destroy(t);
}
END_TEST

/* token_text writes the token of (concert, sequence) into out. */
static void token_text(uint64_t concert, uint64_t sequence, char *out, size_t len)
{
    snprintf(out, len, "v1.%" PRIu64 ".1.%" PRIu64 ".sig", concert, sequence);
}

/* A memory of 64 entries never holds more; a full set drops what ended first, and what is
 * past its end before anything live. */
START_TEST(tokens_bound)
{
    struct br_tokens *t;
    char text[64];
    uint64_t concert;
    size_t live = 0;

    ck_assert_int_eq(br_tokens_create(64, &t), BO_OK);
    for (uint64_t s = 1; s <= 1000; s++) {
        token_text(7, s, text, sizeof(text));
        ck_assert_int_eq(br_tokens_remember(t, text, 7, LATER_MS + (int64_t)s, NOW_MS), BO_OK);
        ck_assert_uint_le(br_tokens_count(t), 64);
    }
    ck_assert_uint_eq(br_tokens_count(t), 64);
    ck_assert_uint_eq(br_tokens_remembered(t), 1000);
    for (uint64_t s = 1; s <= 1000; s++) {
        token_text(7, s, text, sizeof(text));
        live += br_tokens_lookup(t, text, NOW_MS, &concert) == BO_OK;
    }
    ck_assert_uint_eq(live, 64);
    /* the last one remembered is held: it ends last in its set */
    token_text(7, 1000, text, sizeof(text));
    ck_assert_int_eq(br_tokens_lookup(t, text, NOW_MS, &concert), BO_OK);

    /* when they are all over, new ones take their places */
    for (uint64_t s = 2001; s <= 2064; s++) {
        token_text(7, s, text, sizeof(text));
        ck_assert_int_eq(
            br_tokens_remember(t, text, 7, LATER_MS + 5000, LATER_MS + 2000 + (int64_t)s), BO_OK);
    }
    ck_assert_uint_le(br_tokens_count(t), 64);
    br_tokens_destroy(t);
    ck_assert_int_eq(br_tokens_create(0, &t), BO_E_INVALID_ARGUMENT);
}
END_TEST

/* Threads remembering, looking up and forgetting their own tokens at once see only their own
 * (run under ASan/TSan to see the locks). */
struct tokens_worker {
    struct br_tokens *t;
    uint64_t concert;
    int ok;
};

static void *tokens_work(void *arg)
{
    struct tokens_worker *w = arg;
    char text[64];
    uint64_t concert;

    w->ok = 1;
    for (uint64_t s = 1; s <= 2000; s++) {
        token_text(w->concert, s, text, sizeof(text));
        if (br_tokens_remember(w->t, text, w->concert, LATER_MS, NOW_MS) != BO_OK ||
            br_tokens_lookup(w->t, text, NOW_MS, &concert) != BO_OK || concert != w->concert) {
            w->ok = 0;
        }
        if (s % 2 == 0) {
            br_tokens_forget(w->t, w->concert, s);
            if (br_tokens_lookup(w->t, text, NOW_MS, &concert) != BO_E_NOT_FOUND) {
                w->ok = 0;
            }
        }
    }
    return NULL;
}

START_TEST(tokens_threads)
{
    struct tokens_worker w[8];
    struct br_tokens *t;

    ck_assert_int_eq(br_tokens_create(1 << 18, &t), BO_OK);
    for (int i = 0; i < 8; i++) {
        w[i] = (struct tokens_worker){.t = t, .concert = (uint64_t)i + 1};
    }
    support_threads_run(tokens_work, w, sizeof(w[0]), 8);
    for (int i = 0; i < 8; i++) {
        ck_assert_msg(w[i].ok, "worker %d saw another's token or lost its own", i);
    }
    ck_assert_uint_eq(br_tokens_count(t), 8 * 1000);
    br_tokens_destroy(t);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {
        render_exact,  render_reply,  render_table, tokens_parse,   tokens_remember_and_lookup,
        tokens_expire, tokens_forget, tokens_bound, tokens_threads, NULL};

    return support_tests_run("br_seatmaps", "memory", tests);
}
