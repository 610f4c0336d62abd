/* Unit suite for br_push_hub: joining, leaving, forward-only state, fan-out and the token
 * lists, no servers. */
#include "bo_error.h"
#include "bo_time.h"
#include "br_push_hub.h"

#include "support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WAKES 8192

/* Who the hub woke, in order. */
struct wakes {
    struct br_push_member *m[MAX_WAKES];
    size_t n;
};

static void record_wake(struct br_push_member *m, void *arg)
{
    struct wakes *w = arg;
    ck_assert_uint_lt(w->n, MAX_WAKES);
    w->m[w->n++] = m;
}

/* The hub of the running test and whom it woke, made by the checked fixture. */
static struct br_push_hub *hub;
static struct wakes woke;

/* woken counts how often m was woken since woke was last emptied. */
static size_t woken(const struct br_push_member *m)
{
    size_t k = 0;
    for (size_t i = 0; i < woke.n; i++) {
        k += woke.m[i] == m;
    }
    return k;
}

static struct br_push_state waiting(uint64_t position, uint32_t eta)
{
    struct br_push_state st = {BR_PUSH_WAITING, position, eta, 0, 0, 0};
    return st;
}

static struct br_push_state active(int64_t at)
{
    struct br_push_state st = {BR_PUSH_ACTIVE, 0, 0, at, at + 600000, 0};
    return st;
}

static struct br_push_state expired(void)
{
    struct br_push_state st = {BR_PUSH_EXPIRED, 0, 0, 0, 0, 0};
    return st;
}

/* hub_setup makes the test's hub, which wakes into woke. */
static void hub_setup(void)
{
    memset(&woke, 0, sizeof(woke));
    ck_assert_int_eq(br_push_hub_create(record_wake, &woke, &hub), BO_OK);
    ck_assert_ptr_nonnull(hub);
}

static void hub_teardown(void)
{
    br_push_hub_destroy(hub);
    hub = NULL;
}

/* take returns whether m has a state to write, and that state's status (0 when none). */
static int take(struct br_push_member *m, struct br_push_state *st)
{
    const char *token_id = NULL;
    memset(st, 0, sizeof(*st));
    return br_push_hub_pending(m, st, &token_id) ? st->status : 0;
}

static void texts_free(char **texts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(texts[i]);
    }
    free(texts);
}

START_TEST(join_wakes_and_first_state_is_current)
{
    struct br_push_member a = {0};
    struct br_push_state st0 = waiting(12, 30);
    struct br_push_state st;
    const char *token_id = NULL;

    ck_assert_int_eq(br_push_hub_join(hub, &a, "1-5", "signed-5", &st0), BO_OK);
    ck_assert_uint_eq(woken(&a), 1);
    ck_assert_uint_eq(br_push_hub_count(hub), 1);
    ck_assert(br_push_hub_pending(&a, &st, &token_id));
    ck_assert_str_eq(token_id, "1-5");
    ck_assert_int_eq(st.status, BR_PUSH_WAITING);
    ck_assert_uint_eq(st.position, 12);
    ck_assert_uint_eq(st.eta_seconds, 30);
    /* written once: nothing more until the state changes */
    ck_assert_int_eq(take(&a, &st), 0);
    br_push_hub_leave(hub, &a);
    ck_assert_uint_eq(br_push_hub_count(hub), 0);
}
END_TEST

START_TEST(update_fans_out_to_every_member)
{
    struct br_push_member a = {0};
    struct br_push_member b = {0};
    struct br_push_member other = {0};
    struct br_push_state st0 = waiting(3, 9);
    struct br_push_state st1 = waiting(2, 6);
    struct br_push_state st;

    ck_assert_int_eq(br_push_hub_join(hub, &a, "1-1", "t1", &st0), BO_OK);
    ck_assert_int_eq(br_push_hub_join(hub, &b, "1-1", "t1", &st0), BO_OK);
    ck_assert_int_eq(br_push_hub_join(hub, &other, "1-2", "t2", &st0), BO_OK);
    ck_assert_uint_eq(br_push_hub_count(hub), 2); /* two tabs, one token: one entry */
    ck_assert_int_eq(take(&a, &st), BR_PUSH_WAITING);
    ck_assert_int_eq(take(&b, &st), BR_PUSH_WAITING);
    ck_assert_int_eq(take(&other, &st), BR_PUSH_WAITING);
    woke.n = 0;

    br_push_hub_update(hub, "1-1", &st1);
    ck_assert_uint_eq(woken(&a), 1);
    ck_assert_uint_eq(woken(&b), 1);
    ck_assert_uint_eq(woken(&other), 0);
    ck_assert_int_eq(take(&a, &st), BR_PUSH_WAITING);
    ck_assert_uint_eq(st.position, 2);
    ck_assert_int_eq(take(&b, &st), BR_PUSH_WAITING);
    ck_assert_uint_eq(st.position, 2);
    ck_assert_int_eq(take(&other, &st), 0);

    /* a token nobody follows: nothing happens */
    woke.n = 0;
    br_push_hub_update(hub, "9-9", &st1);
    ck_assert_uint_eq(woke.n, 0);
    ck_assert_uint_eq(br_push_hub_count(hub), 2);

    br_push_hub_leave(hub, &a);
    ck_assert_uint_eq(br_push_hub_count(hub), 2); /* b still follows 1-1 */
    br_push_hub_leave(hub, &a);                   /* leaving twice is harmless */
    br_push_hub_leave(hub, &b);
    br_push_hub_leave(hub, &other);
    ck_assert_uint_eq(br_push_hub_count(hub), 0);
}
END_TEST

/* One step of the state table: the entry's state before, the update, and what follows. */
struct merge_case {
    const char *name;
    struct br_push_state before;
    struct br_push_state update;
    int wakes;    /* the member is woken and has the update to write */
    int status;   /* the entry's status afterwards */
    uint64_t pos; /* its position afterwards */
};

/* States for the table: waiting at a place, admitted at a time, expired. */
/* clang-format off */
#define WAIT(pos, eta) {BR_PUSH_WAITING, pos, eta, 0, 0, 0}
#define ACT(at)        {BR_PUSH_ACTIVE, 0, 0, at, (at) + 1000, 0}
#define EXP            {BR_PUSH_EXPIRED, 0, 0, 0, 0, 0}
/* clang-format on */

static const struct merge_case merge_cases[] = {
    {"WAITING moves up", WAIT(5, 50), WAIT(4, 40), 1, BR_PUSH_WAITING, 4},
    {"WAITING same place", WAIT(5, 50), WAIT(5, 50), 0, BR_PUSH_WAITING, 5},
    {"WAITING new eta only", WAIT(5, 50), WAIT(5, 45), 1, BR_PUSH_WAITING, 5},
    {"sale opens: the draw's place",
     {BR_PUSH_WAITING, 0, 0, 0, 0, 1000},
     WAIT(7, 7),
     1,
     BR_PUSH_WAITING,
     7},
    {"WAITING -> ACTIVE", WAIT(5, 50), ACT(1000), 1, BR_PUSH_ACTIVE, 0},
    {"ACTIVE replayed", ACT(1000), {BR_PUSH_ACTIVE, 3, 3, 1500, 2500, 0}, 0, BR_PUSH_ACTIVE, 0},
    {"late WAITING after ACTIVE", ACT(1000), WAIT(1, 1), 0, BR_PUSH_ACTIVE, 0},
    {"ACTIVE -> EXPIRED", ACT(1000), EXP, 1, BR_PUSH_EXPIRED, 0},
    {"WAITING -> EXPIRED", WAIT(5, 50), EXP, 1, BR_PUSH_EXPIRED, 0},
    {"EXPIRED again", EXP, {BR_PUSH_EXPIRED, 9, 9, 0, 0, 0}, 0, BR_PUSH_EXPIRED, 0},
    {"ACTIVE after EXPIRED", EXP, ACT(1), 0, BR_PUSH_EXPIRED, 0},
};

/* check_merge_table checks one row of merge_cases (each row leaves the hub empty). */
static void check_merge_table(const struct merge_case *c)
{
    struct br_push_member m = {0};
    struct br_push_state st;
    const char *token_id;

    ck_assert_int_eq(br_push_hub_join(hub, &m, "2-7", "t", &c->before), BO_OK);
    ck_assert_int_eq(take(&m, &st), c->before.status);
    woke.n = 0;
    br_push_hub_update(hub, "2-7", &c->update);
    ck_assert_msg(woken(&m) == (size_t)c->wakes, "%s: woken %zu times", c->name, woken(&m));
    ck_assert_msg(take(&m, &st) == (c->wakes ? c->status : 0), "%s: pending state", c->name);
    br_push_hub_state(&m, &st, &token_id);
    ck_assert_msg(st.status == c->status, "%s: status %d", c->name, st.status);
    ck_assert_msg(st.position == c->pos, "%s: position %llu", c->name,
                  (unsigned long long)st.position);
    ck_assert_str_eq(token_id, "2-7");
    br_push_hub_leave(hub, &m);
    ck_assert_uint_eq(br_push_hub_count(hub), 0);
}

SUPPORT_TABLE_TEST(merge_table, merge_cases, check_merge_table)

/* A second connection joining with a newer state moves the entry on and wakes the first. */
START_TEST(join_merges_newer_state)
{
    struct br_push_member a = {0};
    struct br_push_member b = {0};
    struct br_push_state st0 = waiting(3, 9);
    struct br_push_state st1 = active(5000);
    struct br_push_state st;

    ck_assert_int_eq(br_push_hub_join(hub, &a, "1-1", "t1", &st0), BO_OK);
    ck_assert_int_eq(take(&a, &st), BR_PUSH_WAITING);
    woke.n = 0;
    ck_assert_int_eq(br_push_hub_join(hub, &b, "1-1", "t1", &st1), BO_OK);
    ck_assert_uint_eq(woken(&a), 1);
    ck_assert_uint_eq(woken(&b), 1);
    ck_assert_int_eq(take(&a, &st), BR_PUSH_ACTIVE);
    ck_assert_int_eq(st.admitted_at_ms, 5000);
    ck_assert_int_eq(take(&b, &st), BR_PUSH_ACTIVE);

    /* joining with an older state changes nothing for a, yet c still gets the current one */
    struct br_push_member c = {0};
    woke.n = 0;
    ck_assert_int_eq(br_push_hub_join(hub, &c, "1-1", "t1", &st0), BO_OK);
    ck_assert_uint_eq(woken(&a), 0);
    ck_assert_uint_eq(woken(&c), 1);
    ck_assert_int_eq(take(&c, &st), BR_PUSH_ACTIVE);
    br_push_hub_leave(hub, &a);
    br_push_hub_leave(hub, &b);
    br_push_hub_leave(hub, &c);
}
END_TEST

START_TEST(join_refuses_bad_token_ids)
{
    struct br_push_member m = {0};
    struct br_push_state st0 = waiting(1, 1);
    char longid[BR_PUSH_TOKEN_ID_MAX + 1];

    memset(longid, '7', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    ck_assert_int_eq(br_push_hub_join(hub, &m, "", "t", &st0), BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(br_push_hub_join(hub, &m, longid, "t", &st0), BO_E_INVALID_ARGUMENT);
    longid[BR_PUSH_TOKEN_ID_MAX - 1] = '\0'; /* the longest that fits */
    ck_assert_int_eq(br_push_hub_join(hub, &m, longid, "t", &st0), BO_OK);
    ck_assert_uint_eq(woke.n, 1);
    ck_assert_uint_eq(br_push_hub_count(hub), 1);
    br_push_hub_leave(hub, &m);
}
END_TEST

/* The token lists: every followed token's text, and the waiting ones gone quiet. */
START_TEST(tokens_and_stale)
{
    struct br_push_member a = {0};
    struct br_push_member b = {0};
    struct br_push_member c = {0};
    struct br_push_state wst = waiting(1, 1);
    struct br_push_state ast = active(1);
    char **texts = NULL;
    size_t n = 0;

    ck_assert_int_eq(br_push_hub_join(hub, &a, "1-1", "text-a", &wst), BO_OK);
    ck_assert_int_eq(br_push_hub_join(hub, &b, "1-2", "text-b", &ast), BO_OK);
    ck_assert_int_eq(br_push_hub_join(hub, &c, "1-1", "ignored", &wst), BO_OK);

    ck_assert_int_eq(br_push_hub_tokens(hub, &texts, &n), BO_OK);
    ck_assert_uint_eq(n, 2);
    int seen_a = 0;
    int seen_b = 0;
    for (size_t i = 0; i < n; i++) {
        seen_a += strcmp(texts[i], "text-a") == 0; /* the first joiner's text is kept */
        seen_b += strcmp(texts[i], "text-b") == 0;
    }
    ck_assert_int_eq(seen_a, 1);
    ck_assert_int_eq(seen_b, 1);
    texts_free(texts, n);

    int64_t now = bo_time_mono_ms();
    ck_assert_int_eq(br_push_hub_stale(hub, now, 10000, 10, &texts, &n), BO_OK);
    ck_assert_uint_eq(n, 0); /* heard just now */
    texts_free(texts, n);
    ck_assert_int_eq(br_push_hub_stale(hub, now + 10000, 10000, 10, &texts, &n), BO_OK);
    ck_assert_uint_eq(n, 1); /* only the WAITING token */
    ck_assert_str_eq(texts[0], "text-a");
    texts_free(texts, n);
    /* counted as heard: asked again at once, it is not stale */
    ck_assert_int_eq(br_push_hub_stale(hub, now + 10001, 10000, 10, &texts, &n), BO_OK);
    ck_assert_uint_eq(n, 0);
    texts_free(texts, n);
    /* an expired token is no longer waiting: never stale */
    struct br_push_state est = expired();
    br_push_hub_update(hub, "1-1", &est);
    ck_assert_int_eq(br_push_hub_stale(hub, now + 60000, 10000, 10, &texts, &n), BO_OK);
    ck_assert_uint_eq(n, 0);
    texts_free(texts, n);

    br_push_hub_leave(hub, &a);
    br_push_hub_leave(hub, &b);
    br_push_hub_leave(hub, &c);
    ck_assert_int_eq(br_push_hub_tokens(hub, &texts, &n), BO_OK);
    ck_assert_uint_eq(n, 0);
    texts_free(texts, n);
}
END_TEST

/* Quiet tokens are handed out at most max at a time; the rest stay quiet for the next call,
 * and each is handed out once per quiet period. */
START_TEST(stale_at_most_max_at_a_time)
{
    struct br_push_member m[5] = {{0}};
    struct br_push_state wst = waiting(1, 1);
    char id[16], text[16], **texts = NULL;
    size_t n = 0, seen = 0;

    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof(id), "1-%d", i + 1);
        snprintf(text, sizeof(text), "text-%d", i + 1);
        ck_assert_int_eq(br_push_hub_join(hub, &m[i], id, text, &wst), BO_OK);
    }
    int64_t now = bo_time_mono_ms() + 10000;
    for (int call = 0; call < 3; call++) {
        ck_assert_int_eq(br_push_hub_stale(hub, now, 10000, 2, &texts, &n), BO_OK);
        ck_assert_uint_eq(n, call < 2 ? 2 : 1);
        seen += n;
        texts_free(texts, n);
    }
    ck_assert_uint_eq(seen, 5);
    ck_assert_int_eq(br_push_hub_stale(hub, now, 10000, 2, &texts, &n), BO_OK);
    ck_assert_uint_eq(n, 0); /* every one was read again this period */
    texts_free(texts, n);
    for (int i = 0; i < 5; i++) {
        br_push_hub_leave(hub, &m[i]);
    }
}
END_TEST

/* Many tokens: the table grows and every token still finds its members. */
START_TEST(many_tokens)
{
    enum { N = 3000 };
    struct br_push_member *m = calloc(N, sizeof(*m));
    struct br_push_state st0 = waiting(100, 100);
    struct br_push_state st;
    char id[32];

    ck_assert_ptr_nonnull(m);
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof(id), "1-%d", i);
        ck_assert_int_eq(br_push_hub_join(hub, &m[i], id, id, &st0), BO_OK);
        ck_assert_int_eq(take(&m[i], &st), BR_PUSH_WAITING);
    }
    ck_assert_uint_eq(br_push_hub_count(hub), N);
    woke.n = 0;
    for (int i = 0; i < N; i += 7) {
        struct br_push_state up = waiting((uint64_t)i, 1);
        snprintf(id, sizeof(id), "1-%d", i);
        br_push_hub_update(hub, id, &up);
    }
    for (int i = 0; i < N; i++) {
        int moved = i % 7 == 0;
        ck_assert_int_eq(take(&m[i], &st), moved ? BR_PUSH_WAITING : 0);
        if (moved) {
            ck_assert_uint_eq(st.position, (uint64_t)i);
        }
    }
    for (int i = 0; i < N; i += 2) {
        br_push_hub_leave(hub, &m[i]);
    }
    ck_assert_uint_eq(br_push_hub_count(hub), N / 2);
    /* destroying with members still joined detaches them */
    br_push_hub_destroy(hub); /* the fixture's, destroyed here to see it detach */
    hub = NULL;
    for (int i = 1; i < N; i += 2) {
        ck_assert_ptr_null(m[i].entry);
    }
    free(m);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {join_wakes_and_first_state_is_current,
                            update_fans_out_to_every_member,
                            merge_table,
                            join_merges_newer_state,
                            join_refuses_bad_token_ids,
                            tokens_and_stale,
                            stale_at_most_max_at_a_time,
                            many_tokens,
                            NULL};
    const struct support_case cases[] = {{"hub", tests, NULL, NULL, hub_setup, hub_teardown, 0}};

    return SUPPORT_RUN("br_push_hub", cases, 0);
}
