/*
 * bo_group: group commit of many threads' calls (see bo_group.h).
 *
 * A slot is the right to send; an item's lead flag says its thread holds one (given at join
 * while slots were free, or passed on by a leader that finished). A thread holding a slot
 * keeps leading until its own item is done, then passes the slot to the first waiting item
 * without one, or frees it. An item another leader took may be done before its thread woke
 * to use the slot it was passed: it then leads once anyway, so no slot is ever lost. Every
 * wake is posted under the lock, which the woken thread takes before it can return.
 */
#include "bo_group.h"

#include <errno.h>
#include <string.h>

int bo_group_init(struct bo_group *g, size_t max_items, unsigned max_in_flight,
                  bo_group_send_fn send, void *arg)
{
    memset(g, 0, sizeof(*g));
    g->tail = &g->head;
    g->max_items =
        max_items > 0 && max_items <= BO_GROUP_ITEMS_MAX ? max_items : BO_GROUP_ITEMS_MAX;
    g->max_in_flight = max_in_flight > 0 ? max_in_flight : 1;
    g->send = send;
    g->arg = arg;
    return pthread_mutex_init(&g->mu, NULL) == 0 ? 0 : -1;
}

void bo_group_fini(struct bo_group *g)
{
    pthread_mutex_destroy(&g->mu);
}

/* bo_group_lead, by self's thread holding a slot, sends up to max_items waiting items and
 * marks them done; once self is done the slot goes to the first item waiting without one, or
 * is freed. Self not done (another leader's send has it) with nothing left to send frees the
 * slot too, and waits like any item rather than spin. Wakes every item taken and the one given
 * the slot. Returns whether self is done; *lead says whether self still holds a slot. */
static int bo_group_lead(struct bo_group *g, struct bo_group_item *self, int *lead)
{
    struct bo_group_item *items[BO_GROUP_ITEMS_MAX], *next = NULL;
    size_t n = 0;
    int done;

    pthread_mutex_lock(&g->mu);
    while (g->head != NULL && n < g->max_items) {
        items[n++] = g->head;
        g->head = g->head->next;
    }
    if (g->head == NULL) {
        g->tail = &g->head;
    }
    pthread_mutex_unlock(&g->mu);
    if (n > 0) {
        g->send(g->arg, items, n);
    }
    pthread_mutex_lock(&g->mu);
    for (size_t i = 0; i < n; i++) {
        items[i]->done = 1;
    }
    if ((done = self->done)) {
        self->lead = 0;
        for (next = g->head; next != NULL && next->lead; next = next->next) {
        }
        if (next != NULL) {
            next->lead = 1; /* the slot stays counted: it goes to next */
        } else {
            g->in_flight--;
        }
    } else if (g->head == NULL) {
        self->lead = 0; /* in another send, nothing waiting: the slot is not needed */
        g->in_flight--;
    }
    *lead = self->lead;
    /* Posted under the lock: an item can be both taken by this send and passed a slot by
     * another leader, so it may be posted twice. It reads its outcome under the lock after
     * its first wake and then returns, its item gone with its stack frame: a post made after
     * the unlock could land in that freed memory. */
    for (size_t i = 0; i < n; i++) {
        if (items[i] != self) {
            sem_post(&items[i]->wake);
        }
    }
    if (next != NULL) {
        sem_post(&next->wake);
    }
    pthread_mutex_unlock(&g->mu);
    return done;
}

int bo_group_join(struct bo_group *g, struct bo_group_item *item)
{
    int lead, done = 0;

    item->next = NULL;
    item->done = 0;
    item->lead = 0;
    if (sem_init(&item->wake, 0, 0) != 0) {
        return -1;
    }
    pthread_mutex_lock(&g->mu);
    *g->tail = item;
    g->tail = &item->next;
    if (g->in_flight < g->max_in_flight) {
        g->in_flight++;
        item->lead = 1;
    }
    lead = item->lead;
    pthread_mutex_unlock(&g->mu);
    while (!done) {
        if (lead) {
            done = bo_group_lead(g, item, &lead); /* not done: lead again, or wait */
            continue;
        }
        while (sem_wait(&item->wake) != 0 && errno == EINTR) {
            /* a signal: wait on */
        }
        pthread_mutex_lock(&g->mu);
        done = item->done;
        lead = item->lead;
        pthread_mutex_unlock(&g->mu);
        if (lead) {
            done = 0; /* a slot was passed to it: use it (and pass it on) before leaving */
        }
    }
    sem_destroy(&item->wake);
    return 0;
}
