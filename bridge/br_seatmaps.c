/*
 * br_seatmaps: seat maps and ACTIVE tokens in memory, fed by relayed replies and by the
 * instances' events (see br_seatmaps.h).
 *
 * Layers, low to high: the renderer (one for every answer, from memory or from a reply), the
 * memory and its event handlers, the read answered from memory, the after hooks.
 *
 * Maps: a hall date is held whole in one table; a section of a venue date is held as a part
 * (bo_seatmap's parts, from the section's first seat) in another, so that a section starting
 * at seat 1 is never taken for a whole date. A section is found by its name in the section
 * index and rendered in two forms, full (with places) and compact. A whole-map read of a venue
 * date (at most 2,000 seats) is not held: the service answers it. Every change goes to both
 * tables.
 *
 * Refreshing: a map is answered from while it was read from the service at most
 * BO_SEATMAP_REFRESH_MS ago. From BR_SEATMAPS_EARLY_MS before that, one reader at a time (the
 * one that wins the date's claim) reads it again by rpc while the others are still answered
 * from memory, so a busy date is re-read by one request, not by every request that finds it old.
 */
#include "br_seatmaps.h"

#include "bo_enum.h"
#include "bo_error.h"
#include "bo_feed.h"
#include "bo_log.h"
#include "bo_time.h"
#include "boxoffice/v1/boxoffice.pb-c.h"
#include "br_caller.h"
#include "br_config.h"
#include "br_http.h"
#include "br_seats.h"
#include "br_section_index.h"
#include "br_tokens.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* How long before a map is too old one reader starts reading it again. */
#define BR_SEATMAPS_EARLY_MS 100

/* Claims of dates being read again, by hash (two dates sharing one only wait for each other). */
#define BR_SEATMAPS_CLAIMS 1024

/* Seats of one reply converted on the stack; larger dates are converted on the heap. */
#define BR_SEATMAPS_STACK_SEATS 128

/* Sections held in memory (the least recently read is dropped), and the most seats of one:
 * a section's full rendering takes ~105 bytes a seat, so at most ~60 MB in all. Bigger
 * sections are answered by the service each time. */
#define BR_SEATMAPS_MAX_PARTS      128
#define BR_SEATMAPS_PART_MAX_SEATS 4000

/* Sections whose place is remembered (a direct-mapped table, for more than the parts held). */
#define BR_SEATMAPS_SECTIONS 1024

/* The forms a section is rendered in (bo_seatmap's forms). */
enum { BR_SEATMAPS_FULL = 0, BR_SEATMAPS_COMPACT = 1 };

struct br_seatmaps {
    struct bo_seatmap_table *table; /* hall dates, whole */
    struct bo_seatmap_table *parts; /* sections of venue dates */
    struct br_section_index *sections;
    struct br_tokens *tokens;
    struct bo_feed *feed;
    br_seatmaps_admission_fn admission; /* NULL: admission events not received */
    void *admission_arg;
    atomic_uchar claims[BR_SEATMAPS_CLAIMS];
    _Atomic uint64_t from_memory; /* reads answered from memory */
    _Atomic uint64_t by_rpc;      /* reads answered by a ListSeats rpc that succeeded */
};

/* ---- the renderer ---------------------------------------------------------------------- */

/* br_seatmaps_json_seat writes one seat as REST shows it at now_ms: no hold end, no
 * reservation; with its place (row, number) in section when section (a venue's seat) is not
 * NULL. */
static void br_seatmaps_json_seat(struct br_json *j, const struct bo_seat_state *s, int64_t now_ms,
                                  const char *section, uint32_t row, uint32_t number)
{
    br_json_obj_begin(j);
    br_json_kv_u64(j, "seatNo", s->seat_no);
    br_json_kv_i64(j, "price", s->price);
    br_json_kv_str(
        j, "status",
        bo_enum_name(&boxoffice__v1__seat_status__descriptor, bo_seat_status_at(s, now_ms)));
    if (section != NULL) {
        br_seats_place(j, section, row, number);
    }
    br_json_obj_end(j);
}

/* br_seatmaps_letter is a seat's letter in the compact form at now_ms: A, H or S. */
static char br_seatmaps_letter(int status)
{
    return status == BO_SEAT_SOLD ? 'S' : status == BO_SEAT_HELD ? 'H' : 'A';
}

/* br_seatmaps_json_open writes {"scheduleId","concertId","seats":[ . */
static void br_seatmaps_json_open(struct br_json *j, uint64_t schedule_id, uint64_t concert_id)
{
    br_json_obj_begin(j);
    br_json_kv_u64(j, "scheduleId", schedule_id);
    br_json_kv_u64(j, "concertId", concert_id);
    br_json_key(j, "seats");
    br_json_arr_begin(j);
}

static void br_seatmaps_json_close(struct br_json *j)
{
    br_json_arr_end(j);
    br_json_obj_end(j);
}

void br_seatmaps_json(struct br_json *j, uint64_t schedule_id, uint64_t concert_id,
                      const struct bo_seat_state *seats, size_t n, int64_t now_ms)
{
    br_seatmaps_json_open(j, schedule_id, concert_id);
    for (size_t i = 0; i < n; i++) {
        br_seatmaps_json_seat(j, &seats[i], now_ms, NULL, 0, 0);
    }
    br_seatmaps_json_close(j);
}

/* br_seatmaps_state reads a Seat message as a seat state. */
static struct bo_seat_state br_seatmaps_state(const Boxoffice__V1__Seat *s)
{
    return (struct bo_seat_state){.seat_no = s->seat_no,
                                  .status = (int)s->status,
                                  .price = s->price,
                                  .held_until_ms = s->held_until_ms,
                                  .reservation_id = s->reservation_id};
}

/* br_seatmaps_schedule returns the date a ListSeats reply is about: the reply's, else the
 * request's. */
static uint64_t br_seatmaps_schedule(const Boxoffice__V1__ListSeatsReply *rep,
                                     const Boxoffice__V1__ListSeatsRequest *in)
{
    return rep->schedule_id != 0 || in == NULL ? rep->schedule_id : in->schedule_id;
}

/* br_seatmaps_on_venue tells whether a ListSeats reply is of a date on a venue: its seats have
 * places (the hall's have none). */
static int br_seatmaps_on_venue(const Boxoffice__V1__ListSeatsReply *rep)
{
    return rep->n_seats > 0 && rep->seats[0]->section != NULL && rep->seats[0]->section[0] != '\0';
}

/* br_seatmaps_compact_json writes the compact form: {"scheduleId","section","firstSeatNo",
 * "statuses"} (section null for a whole map). */
static void br_seatmaps_compact_json(struct br_json *j, uint64_t schedule_id, const char *section,
                                     uint32_t first_seat_no, const char *statuses)
{
    br_json_obj_begin(j);
    br_json_kv_u64(j, "scheduleId", schedule_id);
    br_json_key(j, "section");
    br_json_str(j, section != NULL && section[0] != '\0' ? section : NULL);
    br_json_kv_u64(j, "firstSeatNo", first_seat_no);
    br_json_kv_str(j, "statuses", statuses != NULL ? statuses : "");
    br_json_obj_end(j);
}

/* br_seatmaps_compact_write writes a compact reply. */
static void br_seatmaps_compact_write(struct br_json *j, const Boxoffice__V1__ListSeatsReply *rep,
                                      uint64_t schedule_id)
{
    br_seatmaps_compact_json(j, schedule_id, rep->section, rep->first_seat_no, rep->statuses);
}

int br_seatmaps_list_write(struct br_json *j, const ProtobufCMessage *msg,
                           const ProtobufCMessage *req)
{
    const Boxoffice__V1__ListSeatsReply *rep = (const Boxoffice__V1__ListSeatsReply *)msg;
    const Boxoffice__V1__ListSeatsRequest *in = (const Boxoffice__V1__ListSeatsRequest *)req;
    uint64_t schedule_id = br_seatmaps_schedule(rep, in);
    int64_t now_ms = bo_time_now_ms();

    if (in != NULL && in->compact) {
        br_seatmaps_compact_write(j, rep, schedule_id);
        return 200;
    }
    int venue = br_seatmaps_on_venue(rep); /* the hall's seats: as the memory renders them */
    br_seatmaps_json_open(j, schedule_id, rep->concert_id);
    for (size_t i = 0; i < rep->n_seats; i++) {
        struct bo_seat_state s = br_seatmaps_state(rep->seats[i]);
        const Boxoffice__V1__Seat *where = rep->seats[i];
        br_seatmaps_json_seat(j, &s, now_ms, venue ? where->section : NULL, where->row,
                              where->number);
    }
    br_seatmaps_json_close(j);
    return 200;
}

/* br_seatmaps_letters returns the compact form's letters of seats[0..n) at now_ms, one per
 * seat (malloc, NUL-terminated; the caller frees), or NULL when out of memory. */
static char *br_seatmaps_letters(const struct bo_seat_state *seats, size_t n, int64_t now_ms)
{
    char *letters = malloc(n + 1);

    for (size_t i = 0; letters != NULL && i < n; i++) {
        letters[i] = br_seatmaps_letter(bo_seat_status_at(&seats[i], now_ms));
    }
    if (letters != NULL) {
        letters[n] = '\0';
    }
    return letters;
}

int br_seatmaps_compact_full_write(struct br_json *j, const ProtobufCMessage *msg,
                                   const ProtobufCMessage *req)
{
    const Boxoffice__V1__ListSeatsReply *rep = (const Boxoffice__V1__ListSeatsReply *)msg;
    const Boxoffice__V1__ListSeatsRequest *in = (const Boxoffice__V1__ListSeatsRequest *)req;
    char *letters = malloc(rep->n_seats + 1);

    if (letters == NULL) {
        return 0;
    }
    for (size_t i = 0; i < rep->n_seats; i++) {
        letters[i] = br_seatmaps_letter((int)rep->seats[i]->status);
    }
    letters[rep->n_seats] = '\0';
    br_seatmaps_compact_json(j, br_seatmaps_schedule(rep, in), in->section,
                             rep->n_seats > 0 ? rep->seats[0]->seat_no : 0, letters);
    free(letters);
    return 200;
}

/* br_seatmaps_blob copies what scratch holds into a new blob: *out. */
static int br_seatmaps_blob(struct br_buf *scratch, struct bo_seatmap_blob **out)
{
    struct bo_seatmap_blob *b;
    size_t len;
    const char *text = br_buf_content(scratch, &len);

    if (scratch->failed || (b = bo_seatmap_blob_new(len)) == NULL) {
        return BO_E_NOMEM;
    }
    memcpy(b->data, text, len);
    *out = b;
    return BO_OK;
}

/* br_seatmaps_render renders a map into a new blob (bo_seatmap_render_fn), building it in arg,
 * the reading thread's response buffer (emptied first). */
static int br_seatmaps_render(void *arg, uint64_t schedule_id, uint64_t concert_id,
                              const struct bo_seat_state *seats, size_t n, int64_t now_ms,
                              struct bo_seatmap_blob **out)
{
    struct br_buf *scratch = arg;
    struct br_json j;

    br_buf_reset(scratch, 0);
    br_json_init(&j, scratch);
    br_seatmaps_json(&j, schedule_id, concert_id, seats, n, now_ms);
    return br_seatmaps_blob(scratch, out);
}

/* What a section's renderings need besides its seats (the render functions' arg). */
struct br_seatmaps_part {
    struct br_buf *scratch; /* the reading thread's response buffer */
    const char *section;
    struct br_section_place place;
};

/* br_seatmaps_render_section renders a section with its seats' places, as a ListSeats reply
 * of the section is written (bo_seatmap_render_fn). */
static int br_seatmaps_render_section(void *arg, uint64_t schedule_id, uint64_t concert_id,
                                      const struct bo_seat_state *seats, size_t n, int64_t now_ms,
                                      struct bo_seatmap_blob **out)
{
    struct br_seatmaps_part *p = arg;
    struct br_json j;
    uint32_t row, number;

    br_buf_reset(p->scratch, 0);
    br_json_init(&j, p->scratch);
    br_seatmaps_json_open(&j, schedule_id, concert_id);
    for (size_t i = 0; i < n; i++) {
        br_section_place_of(&p->place, seats[i].seat_no, &row, &number);
        br_seatmaps_json_seat(&j, &seats[i], now_ms, p->section, row, number);
    }
    br_seatmaps_json_close(&j);
    return br_seatmaps_blob(p->scratch, out);
}

/* br_seatmaps_render_compact renders a section in the compact form (bo_seatmap_render_fn). */
static int br_seatmaps_render_compact(void *arg, uint64_t schedule_id, uint64_t concert_id,
                                      const struct bo_seat_state *seats, size_t n, int64_t now_ms,
                                      struct bo_seatmap_blob **out)
{
    struct br_seatmaps_part *p = arg;
    char *letters = br_seatmaps_letters(seats, n, now_ms);
    struct br_json j;

    (void)concert_id;
    if (letters == NULL) {
        return BO_E_NOMEM;
    }
    br_buf_reset(p->scratch, 0);
    br_json_init(&j, p->scratch);
    br_seatmaps_compact_json(&j, schedule_id, p->section, p->place.first_seat_no, letters);
    free(letters);
    return br_seatmaps_blob(p->scratch, out);
}

/* ---- the memory and its events ---------------------------------------------------------- */

/* br_seatmaps_change applies changes[0..n) of schedule_id's seats to every map that holds them. */
static void br_seatmaps_change(struct br_seatmaps *m, uint64_t schedule_id,
                               const struct bo_seat_state *changes, size_t n)
{
    bo_seatmap_table_apply(m->table, schedule_id, changes, n, NULL);
    bo_seatmap_table_apply(m->parts, schedule_id, changes, n, NULL);
}

/* br_seatmaps_on_seats applies another instance's seat changes (the feed's thread). */
static void br_seatmaps_on_seats(void *arg, uint64_t schedule_id, uint64_t concert_id,
                                 const struct bo_seat_state *changes, size_t n)
{
    struct br_seatmaps *m = arg;

    (void)concert_id;
    br_seatmaps_change(m, schedule_id, changes, n);
}

/* br_seatmaps_on_ended forgets a token an instance ended (the feed's thread). */
static void br_seatmaps_on_ended(void *arg, uint64_t concert_id, uint64_t sequence,
                                 uint64_t user_id)
{
    struct br_seatmaps *m = arg;

    (void)user_id;
    br_tokens_forget(m->tokens, concert_id, sequence);
}

/* br_seatmaps_on_admission passes an admission event on to the listener the owner named. */
static void br_seatmaps_on_admission(void *arg, const Boxoffice__V1__AdmissionEvent *e)
{
    struct br_seatmaps *m = arg;

    m->admission(m->admission_arg, e);
}

int br_seatmaps_open(const char *events_urls, br_seatmaps_admission_fn admission,
                     void *admission_arg, struct br_seatmaps **out)
{
    struct br_seatmaps *m;
    int rc;

    if ((m = calloc(1, sizeof(*m))) == NULL) {
        return BO_E_NOMEM;
    }
    for (size_t i = 0; i < BR_SEATMAPS_CLAIMS; i++) {
        atomic_init(&m->claims[i], 0);
    }
    atomic_init(&m->from_memory, 0);
    atomic_init(&m->by_rpc, 0);
    m->admission = admission;
    m->admission_arg = admission_arg;
    struct bo_feed_handlers h = {.seats = br_seatmaps_on_seats,
                                 .ended = br_seatmaps_on_ended,
                                 .admission = admission != NULL ? br_seatmaps_on_admission : NULL,
                                 .arg = m};
    if ((rc = bo_seatmap_table_open(BR_SEATMAPS_MAX_MAPS, &m->table)) != BO_OK ||
        (rc = bo_seatmap_table_open(BR_SEATMAPS_MAX_PARTS, &m->parts)) != BO_OK ||
        (rc = br_section_index_create(BR_SEATMAPS_SECTIONS, &m->sections)) != BO_OK ||
        (rc = br_tokens_create(BR_SEATMAPS_MAX_TOKENS, &m->tokens)) != BO_OK ||
        (rc = bo_feed_start(events_urls, NULL, &h, &m->feed)) != BO_OK) {
        br_seatmaps_close(m);
        return rc;
    }
    *out = m;
    return BO_OK;
}

void br_seatmaps_close(struct br_seatmaps *m)
{
    if (m == NULL) {
        return;
    }
    bo_feed_stop(m->feed); /* first: its handlers use the table and the tokens */
    br_tokens_destroy(m->tokens);
    br_section_index_destroy(m->sections);
    bo_seatmap_table_close(m->parts);
    bo_seatmap_table_close(m->table);
    free(m);
}

void br_seatmaps_metrics(const struct br_seatmaps *m, struct br_buf *b)
{
    if (m == NULL) {
        return;
    }
    br_buf_printf(b,
                  "# HELP boxoffice_bridge_seatmaps_total Seat maps answered, from memory or by "
                  "a ListSeats rpc.\n"
                  "# TYPE boxoffice_bridge_seatmaps_total counter\n"
                  "boxoffice_bridge_seatmaps_total{source=\"memory\"} %llu\n"
                  "boxoffice_bridge_seatmaps_total{source=\"rpc\"} %llu\n"
                  "# HELP boxoffice_bridge_feed_events_total Seat and ended-token events "
                  "received from the service instances.\n"
                  "# TYPE boxoffice_bridge_feed_events_total counter\n"
                  "boxoffice_bridge_feed_events_total %llu\n"
                  "# HELP boxoffice_bridge_tokens_remembered_total Queue tokens remembered as "
                  "ACTIVE after a read.\n"
                  "# TYPE boxoffice_bridge_tokens_remembered_total counter\n"
                  "boxoffice_bridge_tokens_remembered_total %llu\n"
                  "# HELP boxoffice_bridge_tokens_held Queue tokens held in memory.\n"
                  "# TYPE boxoffice_bridge_tokens_held gauge\n"
                  "boxoffice_bridge_tokens_held %zu\n",
                  (unsigned long long)atomic_load(&m->from_memory),
                  (unsigned long long)atomic_load(&m->by_rpc),
                  (unsigned long long)bo_feed_received(m->feed),
                  (unsigned long long)br_tokens_remembered(m->tokens), br_tokens_count(m->tokens));
}

/* ---- reads answered from memory ------------------------------------------------------- */

/* br_seatmaps_send answers r with blob (200, one write) and drops the reference. */
static int br_seatmaps_send(struct br_req *r, struct bo_seatmap_blob *blob)
{
    br_buf_append(br_http_begin(r), blob->data, blob->len);
    bo_seatmap_blob_unref(blob);
    return br_http_send(r, 200, NULL, NULL);
}

/* br_seatmaps_claim returns the claim slot of the part of schedule_id from seat first. */
static atomic_uchar *br_seatmaps_claim(struct br_seatmaps *m, uint64_t schedule_id, uint32_t first)
{
    uint64_t h = (schedule_id * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)first * 0xC2B2AE3D27D4EB4FULL);

    return &m->claims[(h >> 32) & (BR_SEATMAPS_CLAIMS - 1)];
}

/* br_seatmaps_caller_ok tells whether r's Authorization, when it has one, is well formed: a
 * malformed one is refused by the rpc path (401) as it always was. */
static int br_seatmaps_caller_ok(struct br_req *r)
{
    struct br_caller who;

    if (br_http_header(r, "Authorization") == NULL) {
        return 1;
    }
    return br_caller_read(r->ri, &r->t->shared->cfg->trusted_proxy_ip, &who) == BO_OK;
}

/* A rendering asked of the memory: which part of which date, in which form, how. */
struct br_seatmaps_ask {
    struct bo_seatmap_table *table; /* the hall's or the sections' */
    uint64_t schedule_id;
    uint32_t first; /* the part's first seat: 1 for a hall date */
    unsigned form;
    bo_seatmap_render_fn render;
    void *arg;
};

/* br_seatmaps_rendered gets the rendering a asks for of a map read at most max_age_ms ago, and
 * its concert. */
static int br_seatmaps_rendered(const struct br_seatmaps_ask *a, int64_t max_age_ms,
                                uint64_t *concert_id, struct bo_seatmap_blob **blob)
{
    return bo_seatmap_table_rendered_part(a->table, a->schedule_id, a->first, a->form,
                                          bo_time_mono_ms(), bo_time_now_ms(), max_age_ms,
                                          a->render, a->arg, concert_id, blob);
}

/* br_seatmaps_from_memory answers r with the rendering a asks for when r's Queue-Token is
 * remembered ACTIVE for the map's concert and the map is fresh, and returns 200; else returns
 * 0, r's ticket set for the rpc that follows and its claim taken when that rpc refreshes the
 * map for every reader. */
static int br_seatmaps_from_memory(struct br_seatmaps *m, struct br_req *r,
                                   const struct br_seatmaps_ask *a)
{
    const char *text = br_http_header(r, "Queue-Token");
    struct bo_seatmap_blob *blob = NULL;
    uint64_t token_concert, map_concert;
    int rc;

    r->seatmap_ticket = bo_seatmap_table_begin(a->table);
    r->seatmap_claim = 0;
    r->seatmap_part = a->first;
    if (text == NULL ||
        br_tokens_lookup(m->tokens, text, bo_time_now_ms(), &token_concert) != BO_OK ||
        !br_seatmaps_caller_ok(r)) {
        return 0;
    }
    rc = br_seatmaps_rendered(a, BO_SEATMAP_REFRESH_MS - BR_SEATMAPS_EARLY_MS, &map_concert, &blob);
    if (rc == BO_E_NOT_FOUND) {
        unsigned char free_claim = 0;
        if (atomic_compare_exchange_strong(br_seatmaps_claim(m, a->schedule_id, a->first),
                                           &free_claim, 1)) {
            r->seatmap_claim = 1; /* this read refreshes the map */
            return 0;
        }
        rc = br_seatmaps_rendered(a, BO_SEATMAP_REFRESH_MS, &map_concert, &blob);
    }
    if (rc != BO_OK) {
        return 0;
    }
    if (map_concert != token_concert) { /* the service answers why not */
        bo_seatmap_blob_unref(blob);
        return 0;
    }
    atomic_fetch_add_explicit(&m->from_memory, 1, memory_order_relaxed);
    return br_seatmaps_send(r, blob);
}

int br_seatmaps_answer(struct br_req *r, uint64_t schedule_id)
{
    struct br_seatmaps *m = r->t->shared->seatmaps;
    if (m == NULL) {
        return 0;
    }
    struct br_seatmaps_ask a = {m->table, schedule_id, 1, 0, br_seatmaps_render, &r->t->out};
    return br_seatmaps_from_memory(m, r, &a);
}

int br_seatmaps_answer_section(struct br_req *r, uint64_t schedule_id, const char *section,
                               int compact)
{
    struct br_seatmaps *m = r->t->shared->seatmaps;
    struct br_seatmaps_part part = {.scratch = &r->t->out, .section = section};
    r->seatmap_compact = compact;
    if (m == NULL) {
        return 0;
    }
    struct br_seatmaps_ask a = {m->parts,
                                schedule_id,
                                0,
                                compact ? BR_SEATMAPS_COMPACT : BR_SEATMAPS_FULL,
                                compact ? br_seatmaps_render_compact : br_seatmaps_render_section,
                                &part};
    if (br_section_index_get(m->sections, schedule_id, section, &part.place) != BO_OK) {
        r->seatmap_ticket = bo_seatmap_table_begin(m->parts); /* not known yet: ask */
        r->seatmap_claim = 0;
        return 0;
    }
    a.first = part.place.first_seat_no;
    return br_seatmaps_from_memory(m, r, &a);
}

void br_seatmaps_done(struct br_req *r, uint64_t schedule_id)
{
    struct br_seatmaps *m = r->t->shared->seatmaps;

    if (m != NULL && r->seatmap_claim) {
        atomic_store(br_seatmaps_claim(m, schedule_id, r->seatmap_part), 0);
        r->seatmap_claim = 0;
    }
}

/* ---- what relayed replies teach ------------------------------------------------------ */

/* br_seatmaps_keep puts the seats of a relayed reply into table as the map of schedule_id from
 * seat first on (the whole date when first is 1) and remembers the caller's ACTIVE token the
 * reply vouches for. BO_OK when the map is held. */
static int br_seatmaps_keep(struct br_req *r, struct bo_seatmap_table *table, uint64_t schedule_id,
                            uint32_t first, const Boxoffice__V1__ListSeatsReply *rep,
                            const Boxoffice__V1__ListSeatsRequest *in)
{
    struct br_seatmaps *m = r->t->shared->seatmaps;
    struct bo_seat_state stack[BR_SEATMAPS_STACK_SEATS], *seats = stack;
    int64_t now_ms = bo_time_now_ms();
    int rc;

    if (rep->n_seats > BO_SEATMAP_MAX_SEATS) {
        return BO_E_INVALID_ARGUMENT; /* more than a map holds */
    }
    if (rep->n_seats > BR_SEATMAPS_STACK_SEATS &&
        (seats = malloc(rep->n_seats * sizeof(*seats))) == NULL) {
        return BO_E_NOMEM;
    }
    for (size_t i = 0; i < rep->n_seats; i++) {
        seats[i] = br_seatmaps_state(rep->seats[i]);
    }
    rc = bo_seatmap_table_install_part(table, schedule_id, first, rep->concert_id, seats,
                                       rep->n_seats, r->seatmap_ticket, bo_time_mono_ms());
    if (seats != stack) {
        free(seats);
    }
    if (rc != BO_OK) {
        return rc;
    }
    if (rep->token_active_until_ms > now_ms && in != NULL && in->token != NULL &&
        br_tokens_remember(m->tokens, in->token, rep->concert_id, rep->token_active_until_ms,
                           now_ms) != BO_OK) {
        BO_DEBUG("token of concert %llu not remembered", (unsigned long long)rep->concert_id);
    }
    return BO_OK;
}

int br_seatmaps_listed(struct br_req *r, const ProtobufCMessage *msg, const ProtobufCMessage *req)
{
    const Boxoffice__V1__ListSeatsReply *rep = (const Boxoffice__V1__ListSeatsReply *)msg;
    const Boxoffice__V1__ListSeatsRequest *in = (const Boxoffice__V1__ListSeatsRequest *)req;
    struct br_seatmaps *m = r->t->shared->seatmaps;
    struct bo_seatmap_blob *blob = NULL;
    uint64_t schedule_id = br_seatmaps_schedule(rep, in);
    uint64_t concert_id;
    int rc;

    if (m == NULL ||
        (in != NULL && ((in->section != NULL && in->section[0] != '\0') || in->compact))) {
        return 0; /* only whole maps are kept */
    }
    atomic_fetch_add_explicit(&m->by_rpc, 1, memory_order_relaxed);
    if (br_seatmaps_on_venue(rep)) {
        return 0; /* a venue's seats carry places the memory does not keep: read from the
                   * service, which holds them in place */
    }
    if ((rc = br_seatmaps_keep(r, m->table, schedule_id, 1, rep, in)) != BO_OK) {
        BO_DEBUG("seat map %llu not kept: %s", (unsigned long long)schedule_id, bo_error_name(rc));
        return 0; /* answered from the reply alone */
    }
    struct br_seatmaps_ask a = {m->table, schedule_id, 1, 0, br_seatmaps_render, &r->t->out};
    if (br_seatmaps_rendered(&a, BO_SEATMAP_REFRESH_MS, &concert_id, &blob) != BO_OK) {
        return 0;
    }
    return br_seatmaps_send(r, blob);
}

/* br_seatmaps_section_place reads where the section of a reply of one section's seats lies:
 * BO_OK when every seat follows the one before it and is where the section's layout puts it
 * (then the section can be rendered from its first seat and its seats per row alone). */
static int br_seatmaps_section_place(const Boxoffice__V1__ListSeatsReply *rep,
                                     struct br_section_place *p)
{
    const Boxoffice__V1__Seat *last = rep->seats[rep->n_seats - 1];
    uint32_t row, number;

    p->first_seat_no = rep->seats[0]->seat_no;
    p->seats = (uint32_t)rep->n_seats;
    p->seats_per_row = last->number; /* the last seat ends the last row */
    if (p->first_seat_no == 0 || p->seats_per_row == 0 || p->seats % p->seats_per_row != 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < rep->n_seats; i++) {
        const Boxoffice__V1__Seat *seat = rep->seats[i];
        br_section_place_of(p, seat->seat_no, &row, &number);
        if (seat->seat_no != p->first_seat_no + i || seat->row != row || seat->number != number ||
            strcmp(seat->section, rep->seats[0]->section) != 0) {
            return BO_E_INVALID_ARGUMENT;
        }
    }
    return BO_OK;
}

int br_seatmaps_section_listed(struct br_req *r, const ProtobufCMessage *msg,
                               const ProtobufCMessage *req)
{
    const Boxoffice__V1__ListSeatsReply *rep = (const Boxoffice__V1__ListSeatsReply *)msg;
    const Boxoffice__V1__ListSeatsRequest *in = (const Boxoffice__V1__ListSeatsRequest *)req;
    struct br_seatmaps *m = r->t->shared->seatmaps;
    struct br_seatmaps_part part = {.scratch = &r->t->out};
    struct bo_seatmap_blob *blob = NULL;
    uint64_t schedule_id = br_seatmaps_schedule(rep, in);
    uint64_t concert_id;
    int rc;

    if (m == NULL || in->compact || in->section == NULL || in->section[0] == '\0' ||
        !br_seatmaps_on_venue(rep) || rep->n_seats > BR_SEATMAPS_PART_MAX_SEATS ||
        strcmp(rep->seats[0]->section, in->section) != 0 ||
        br_seatmaps_section_place(rep, &part.place) != BO_OK) {
        return 0; /* written from the reply alone */
    }
    atomic_fetch_add_explicit(&m->by_rpc, 1, memory_order_relaxed);
    if ((rc = br_seatmaps_keep(r, m->parts, schedule_id, part.place.first_seat_no, rep, in)) !=
            BO_OK ||
        (rc = br_section_index_put(m->sections, schedule_id, in->section, &part.place)) != BO_OK) {
        BO_DEBUG("section %s of date %llu not kept: %s", in->section,
                 (unsigned long long)schedule_id, bo_error_name(rc));
        return 0;
    }
    part.section = in->section;
    struct br_seatmaps_ask a = {m->parts,
                                schedule_id,
                                part.place.first_seat_no,
                                r->seatmap_compact ? BR_SEATMAPS_COMPACT : BR_SEATMAPS_FULL,
                                r->seatmap_compact ? br_seatmaps_render_compact
                                                   : br_seatmaps_render_section,
                                &part};
    if (br_seatmaps_rendered(&a, BO_SEATMAP_REFRESH_MS, &concert_id, &blob) != BO_OK) {
        return 0;
    }
    return br_seatmaps_send(r, blob);
}

/* br_seatmaps_apply applies the change of every seat of a hold or payment to schedule_id's map,
 * when held: seats[0..n) (or, when n is 0, the one seat first, when not NULL), each at status
 * with the reservation and, when HELD, held_until_ms. */
static void br_seatmaps_apply(struct br_req *r, uint64_t schedule_id, int status,
                              uint64_t reservation_id, int64_t held_until_ms,
                              Boxoffice__V1__Seat *const *seats, size_t n,
                              const struct bo_seat_state *first)
{
    struct br_seatmaps *m = r->t->shared->seatmaps;
    struct bo_seat_state changes[16];
    size_t k = 0;

    if (m == NULL || schedule_id == 0) {
        return;
    }
    if (n == 0) {
        if (first != NULL) {
            br_seatmaps_change(m, schedule_id, first, 1);
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        changes[k++] = (struct bo_seat_state){.seat_no = seats[i]->seat_no,
                                              .status = status,
                                              .price = seats[i]->price,
                                              .held_until_ms = held_until_ms,
                                              .reservation_id = reservation_id};
        if (k == sizeof(changes) / sizeof(changes[0]) || i + 1 == n) {
            br_seatmaps_change(m, schedule_id, changes, k);
            k = 0;
        }
    }
}

int br_seatmaps_reserved(struct br_req *r, const ProtobufCMessage *rep, const ProtobufCMessage *req)
{
    const Boxoffice__V1__Reservation *res = NULL;
    int status;

    (void)req;
    if (rep->descriptor == &boxoffice__v1__hold_seat_reply__descriptor) {
        res = ((const Boxoffice__V1__HoldSeatReply *)rep)->reservation;
    } else if (rep->descriptor == &boxoffice__v1__release_hold_reply__descriptor) {
        res = ((const Boxoffice__V1__ReleaseHoldReply *)rep)->reservation;
    }
    if (res == NULL) {
        return 0;
    }
    switch (res->status) {
    case BOXOFFICE__V1__RESERVATION_STATUS__RESERVATION_HELD:
        status = BO_SEAT_HELD;
        break;
    case BOXOFFICE__V1__RESERVATION_STATUS__RESERVATION_CONFIRMED:
        status = BO_SEAT_SOLD;
        break;
    case BOXOFFICE__V1__RESERVATION_STATUS__RESERVATION_CANCELLED:
    case BOXOFFICE__V1__RESERVATION_STATUS__RESERVATION_EXPIRED:
        status = BO_SEAT_AVAILABLE;
        break;
    default:
        return 0;
    }
    int64_t until = status == BO_SEAT_HELD ? res->expires_at_ms : 0;
    struct bo_seat_state s = {.seat_no = res->seat_no,
                              .status = status,
                              .price = res->price,
                              .held_until_ms = until,
                              .reservation_id = res->id};
    br_seatmaps_apply(r, res->schedule_id, status, res->id, until, res->seats, res->n_seats, &s);
    return 0;
}

int br_seatmaps_paid(struct br_req *r, const ProtobufCMessage *msg, const ProtobufCMessage *req)
{
    const Boxoffice__V1__Payment *p = ((const Boxoffice__V1__PayReply *)msg)->payment;
    const Boxoffice__V1__PayRequest *in = (const Boxoffice__V1__PayRequest *)req;
    struct br_seatmaps *m = r->t->shared->seatmaps;

    if (m != NULL) {
        br_tokens_forget_text(m->tokens, in->token);
    }
    if (p != NULL && p->status == BOXOFFICE__V1__PAYMENT_STATUS__PAYMENT_COMPLETED) {
        struct bo_seat_state s = {.seat_no = p->seat_no,
                                  .status = BO_SEAT_SOLD,
                                  .price = p->amount,
                                  .reservation_id = p->reservation_id};
        br_seatmaps_apply(r, p->schedule_id, BO_SEAT_SOLD, p->reservation_id, 0, p->seats,
                          p->n_seats, &s);
    }
    return 0;
}

int br_seatmaps_refunded(struct br_req *r, const ProtobufCMessage *msg, const ProtobufCMessage *req)
{
    const Boxoffice__V1__Payment *p = ((const Boxoffice__V1__RefundReply *)msg)->payment;

    (void)req;
    if (p != NULL && p->status == BOXOFFICE__V1__PAYMENT_STATUS__PAYMENT_REFUNDED) {
        br_seatmaps_apply(r, p->schedule_id, BO_SEAT_AVAILABLE, p->reservation_id, 0, p->seats,
                          p->n_seats, NULL);
    }
    return 0;
}

int br_seatmaps_left(struct br_req *r, const ProtobufCMessage *rep, const ProtobufCMessage *req)
{
    struct br_seatmaps *m = r->t->shared->seatmaps;

    (void)rep;
    if (m != NULL) {
        br_tokens_forget_text(m->tokens, ((const Boxoffice__V1__LeaveQueueRequest *)req)->token);
    }
    return 0;
}
