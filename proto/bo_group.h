/*
 * bo_group: calls of many threads carried together, like a database's group commit.
 *
 * A thread joins with its item and sleeps; while fewer than max_in_flight sends are out, a
 * joining thread leads: it takes up to max_items waiting items from the head of the queue (its
 * own among them unless the queue is long), runs the group's send function on them without
 * the lock, marks them done and wakes them, and passes its slot to the first item still
 * waiting. No timer: under load the items that arrive during one send go together in the
 * next; a lone call is sent at once, as a group of one. Used for the service's shared Redis
 * pipelines (cache_batch) and libboxoffice's Batch rpcs (bo_batch).
 */
#ifndef BO_GROUP_H
#define BO_GROUP_H

#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>

/* The most items one send takes. */
#define BO_GROUP_ITEMS_MAX 64

struct bo_group_item;

/* A send function sends items[0..n) together; it runs on a leading caller's thread without the
 * group's lock, and every item's outcome must be in the item's own memory when it returns. */
typedef void (*bo_group_send_fn)(void *arg, struct bo_group_item *const *items, size_t n);

/* One waiting call, on its caller's stack, inside the caller's own record of the call. */
struct bo_group_item {
    struct bo_group_item *next;
    int done; /* its send returned (written under the lock, read after wake) */
    int lead; /* it leads the next send (idem) */
    sem_t wake;
};

struct bo_group {
    pthread_mutex_t mu;
    struct bo_group_item *head; /* waiting, oldest first */
    struct bo_group_item **tail;
    unsigned in_flight, max_in_flight;
    size_t max_items;
    bo_group_send_fn send;
    void *arg;
};

/* bo_group_init readies g to send at most max_items (<= BO_GROUP_ITEMS_MAX) items at once, with
 * at most max_in_flight sends out, through send(arg, ...). 0, or -1 when a lock cannot be made. */
int bo_group_init(struct bo_group *g, size_t max_items, unsigned max_in_flight,
                  bo_group_send_fn send, void *arg);

/* bo_group_fini releases g once no call is in it. */
void bo_group_fini(struct bo_group *g);

/* bo_group_join queues item (its caller's fields already set) and returns once a send has taken
 * it, leading sends whenever a slot is free. 0, or -1 when its semaphore cannot be made. */
int bo_group_join(struct bo_group *g, struct bo_group_item *item);

#endif
