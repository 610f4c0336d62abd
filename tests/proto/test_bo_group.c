/*
 * Unit suite of bo_group: many threads joining one group. What its users (the service's Redis
 * pipelines, libboxoffice's Batch rpcs) rely on: every call is sent exactly once, by one send,
 * never more sends at once than allowed, calls made together share sends, and nobody is left
 * waiting (the suite would hang: Check's timeout fails it).
 */
#include "bo_group.h"
#include "support.h"

#include <check.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

enum { THREADS = 32, CALLS = 400 };

/* What the sends saw. */
struct record {
    atomic_int in_flight, most_in_flight, sends, shared;
};

struct call {
    struct bo_group_item item;
    int thread, seq;
    int sent; /* times a send carried it */
};

struct worker {
    struct bo_group *g;
    int index;
    int bad;
    int late_wakes; /* posts that reached a call's item after its join returned */
};

static struct record rec;

static void record_send(void *arg, struct bo_group_item *const *items, size_t n)
{
    struct record *r = arg;
    int now = atomic_fetch_add(&r->in_flight, 1) + 1;
    int most = atomic_load(&r->most_in_flight);

    while (now > most && !atomic_compare_exchange_weak(&r->most_in_flight, &most, now)) {
    }
    for (size_t i = 0; i < n; i++) {
        struct call *c = (struct call *)((char *)items[i] - offsetof(struct call, item));
        c->sent++;
    }
    atomic_fetch_add(&r->sends, 1);
    if (n > 1) {
        atomic_fetch_add(&r->shared, 1);
    }
    sched_yield(); /* a send takes a while: others queue meanwhile */
    atomic_fetch_sub(&r->in_flight, 1);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;

    for (int k = 0; k < CALLS; k++) {
        struct call c = {.thread = w->index, .seq = k};
        int posts = 0;
        if (bo_group_join(w->g, &c.item) != 0 || c.sent != 1 || !c.item.done) {
            w->bad++;
        }
        /* Once join has returned, the item is the caller's again (in the service and the
         * bridge its stack frame is gone): a leader posting it now writes into freed memory. */
        if (sem_init(&c.item.wake, 0, 0) != 0) {
            w->bad++;
            continue;
        }
        sched_yield();
        if (sem_getvalue(&c.item.wake, &posts) == 0 && posts > 0) {
            w->late_wakes++;
        }
        sem_destroy(&c.item.wake);
    }
    return NULL;
}

/* run_group runs THREADS x CALLS calls through a group of max_items and max_in_flight. */
static void run_group(size_t max_items, unsigned max_in_flight)
{
    struct bo_group g;
    pthread_t t[THREADS];
    struct worker w[THREADS];

    atomic_store(&rec.in_flight, 0);
    atomic_store(&rec.most_in_flight, 0);
    atomic_store(&rec.sends, 0);
    atomic_store(&rec.shared, 0);
    ck_assert_int_eq(bo_group_init(&g, max_items, max_in_flight, record_send, &rec), 0);
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){.g = &g, .index = i};
        ck_assert_int_eq(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(w[i].bad == 0, "thread %d: %d calls not sent exactly once", i, w[i].bad);
        ck_assert_msg(w[i].late_wakes == 0, "thread %d: %d calls woken after they returned", i,
                      w[i].late_wakes);
    }
    bo_group_fini(&g);
    ck_assert_int_le(atomic_load(&rec.most_in_flight), (int)max_in_flight);
    ck_assert_int_gt(atomic_load(&rec.shared), 0);
    ck_assert_int_lt(atomic_load(&rec.sends), THREADS * CALLS);
}

START_TEST(one_send_at_a_time)
{
    run_group(64, 1);
}
END_TEST

START_TEST(several_sends_of_few_items)
{
    /* Queues longer than a send takes: leaders send others' calls before their own, and
     * slots pass from thread to thread. */
    run_group(3, 4);
}
END_TEST

START_TEST(a_lone_call_is_sent_at_once)
{
    struct bo_group g;
    struct call c = {0};

    atomic_store(&rec.sends, 0);
    ck_assert_int_eq(bo_group_init(&g, 8, 2, record_send, &rec), 0);
    ck_assert_int_eq(bo_group_join(&g, &c.item), 0);
    ck_assert_int_eq(c.sent, 1);
    ck_assert_int_eq(atomic_load(&rec.sends), 1);
    bo_group_fini(&g);
}
END_TEST

/* A send that holds until the test opens the gate. */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open, gate_sends;

static void gated_send(void *arg, struct bo_group_item *const *items, size_t n)
{
    pthread_mutex_lock(&gate_mu);
    gate_sends++;
    while (!gate_open) {
        pthread_cond_wait(&gate_cv, &gate_mu);
    }
    pthread_mutex_unlock(&gate_mu);
    record_send(arg, items, n);
}

static void *gated_main(void *arg)
{
    struct worker *w = arg;
    struct call c = {.thread = w->index};

    if (bo_group_join(w->g, &c.item) != 0 || c.sent != 1) {
        w->bad++;
    }
    return NULL;
}

/* queued counts the calls waiting in g. */
static int queued(struct bo_group *g)
{
    int n = 0;

    pthread_mutex_lock(&g->mu);
    for (struct bo_group_item *i = g->head; i != NULL; i = i->next) {
        n++;
    }
    pthread_mutex_unlock(&g->mu);
    return n;
}

START_TEST(calls_that_queued_behind_a_send_are_sent_after_it)
{
    /* One send at a time of one call: the first caller sends while two queue behind it; when
     * its send ends, the next must be woken to send (nobody else will come). */
    struct bo_group g;
    pthread_t t[3];
    struct worker w[3];

    ck_assert_int_eq(bo_group_init(&g, 1, 1, gated_send, &rec), 0);
    w[0] = (struct worker){.g = &g, .index = 0};
    ck_assert_int_eq(pthread_create(&t[0], NULL, gated_main, &w[0]), 0);
    for (int spin = 0;; spin++) {
        pthread_mutex_lock(&gate_mu);
        int sending = gate_sends;
        pthread_mutex_unlock(&gate_mu);
        if (sending == 1) {
            break;
        }
        ck_assert_int_lt(spin, 10000000);
        sched_yield();
    }
    for (int i = 1; i < 3; i++) {
        w[i] = (struct worker){.g = &g, .index = i};
        ck_assert_int_eq(pthread_create(&t[i], NULL, gated_main, &w[i]), 0);
    }
    for (int spin = 0; queued(&g) < 2; spin++) {
        ck_assert_int_lt(spin, 10000000);
        sched_yield();
    }
    pthread_mutex_lock(&gate_mu);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL); /* a call left waiting hangs here: Check's timeout fails it */
        ck_assert_int_eq(w[i].bad, 0);
    }
    ck_assert_int_eq(gate_sends, 3);
    bo_group_fini(&g);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {one_send_at_a_time, several_sends_of_few_items,
                            a_lone_call_is_sent_at_once,
                            calls_that_queued_behind_a_send_are_sent_after_it, NULL};

    return support_tests_run("bo_group", "group", tests);
}
