/* bo_feed: the seat and ended-token events of every instance, decoded (see bo_feed.h). */
#include "bo_feed.h"

#include "bo_error.h"
#include "bo_nng.h"

#include "boxoffice/v1/events.pb-c.h"

#include <inttypes.h>
#include <nng/protocol/pubsub0/sub.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BO_FEED_TOPIC_SEATS     "schedule/"
#define BO_FEED_TOPIC_ENDED     "ended/"
#define BO_FEED_TOPIC_ADMISSION "concert/"

/* How long the thread waits for an event before looking at the stop flag. */
#define BO_FEED_POLL_MS 200

/* Events queued in the socket before the oldest are dropped: a burst of a busy second. */
#define BO_FEED_RECVBUF 8192

/* Seats of one event converted on the stack; larger events are converted on the heap. */
#define BO_FEED_STACK_SEATS 64

struct bo_feed {
    struct bo_nng nng;
    struct bo_feed_handlers h;
    pthread_t thread;
    int started;
    atomic_int stopping;
    _Atomic uint64_t received;
};

/* bo_feed_setup subscribes sock (arg: the feed) to the topics its handlers want. */
static int bo_feed_setup(nng_socket sock, const void *arg)
{
    const struct bo_feed *f = arg;

    if (nng_socket_set(sock, NNG_OPT_SUB_SUBSCRIBE, BO_FEED_TOPIC_SEATS,
                       strlen(BO_FEED_TOPIC_SEATS)) != 0 ||
        nng_socket_set(sock, NNG_OPT_SUB_SUBSCRIBE, BO_FEED_TOPIC_ENDED,
                       strlen(BO_FEED_TOPIC_ENDED)) != 0 ||
        (f->h.admission != NULL &&
         nng_socket_set(sock, NNG_OPT_SUB_SUBSCRIBE, BO_FEED_TOPIC_ADMISSION,
                        strlen(BO_FEED_TOPIC_ADMISSION)) != 0)) {
        return BO_E_INTERNAL;
    }
    /* Not fatal: a smaller queue only drops more under bursts. */
    (void)nng_socket_set_int(sock, NNG_OPT_RECVBUF, BO_FEED_RECVBUF);
    (void)nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, BO_FEED_POLL_MS);
    return BO_OK;
}

/* bo_feed_seats hands a packed SeatEvent to the seats handler. */
static void bo_feed_seats(struct bo_feed *f, const uint8_t *body, size_t len)
{
    struct bo_seat_state stack[BO_FEED_STACK_SEATS], *seats = stack;
    Boxoffice__V1__SeatEvent *e = boxoffice__v1__seat_event__unpack(NULL, len, body);

    if (e == NULL) {
        return;
    }
    if (e->n_seats > BO_FEED_STACK_SEATS && (seats = malloc(e->n_seats * sizeof(*seats))) == NULL) {
        boxoffice__v1__seat_event__free_unpacked(e, NULL);
        return;
    }
    for (size_t i = 0; i < e->n_seats; i++) {
        const Boxoffice__V1__Seat *s = e->seats[i];
        seats[i] = (struct bo_seat_state){.seat_no = s->seat_no,
                                          .status = (int)s->status,
                                          .price = s->price,
                                          .held_until_ms = s->held_until_ms,
                                          .reservation_id = s->reservation_id};
    }
    atomic_fetch_add(&f->received, 1);
    if (f->h.seats != NULL) {
        f->h.seats(f->h.arg, e->schedule_id, e->concert_id, seats, e->n_seats);
    }
    if (seats != stack) {
        free(seats);
    }
    boxoffice__v1__seat_event__free_unpacked(e, NULL);
}

int bo_feed_event_decode(const void *msg, size_t len, Boxoffice__V1__AdmissionEvent **out)
{
    const uint8_t *nl = len > 0 ? memchr(msg, '\n', len) : NULL;
    Boxoffice__V1__AdmissionEvent *e;

    if (nl == NULL) {
        return BO_E_MALFORMED_REQUEST;
    }
    nl++;
    e = boxoffice__v1__admission_event__unpack(NULL, len - (size_t)(nl - (const uint8_t *)msg), nl);
    if (e == NULL) {
        return BO_E_MALFORMED_REQUEST;
    }
    *out = e;
    return BO_OK;
}

/* bo_feed_ended hands an EXPIRED AdmissionEvent (token id "<concertId>-<sequence>") of the
 * message msg to the ended handler. */
static void bo_feed_ended(struct bo_feed *f, const uint8_t *msg, size_t len)
{
    Boxoffice__V1__AdmissionEvent *e;
    uint64_t concert_id, sequence;
    char tail;

    if (bo_feed_event_decode(msg, len, &e) != BO_OK) {
        return;
    }
    if (e->kind == BOXOFFICE__V1__EVENT_KIND__EVENT_EXPIRED && e->token_id != NULL &&
        sscanf(e->token_id, "%" SCNu64 "-%" SCNu64 "%c", &concert_id, &sequence, &tail) == 2) {
        atomic_fetch_add(&f->received, 1);
        if (f->h.ended != NULL) {
            f->h.ended(f->h.arg, concert_id, sequence, e->user_id);
        }
    }
    boxoffice__v1__admission_event__free_unpacked(e, NULL);
}

/* bo_feed_admission hands the AdmissionEvent of the message msg to the admission handler. */
static void bo_feed_admission(struct bo_feed *f, const uint8_t *msg, size_t len)
{
    Boxoffice__V1__AdmissionEvent *e;

    if (bo_feed_event_decode(msg, len, &e) != BO_OK) {
        return;
    }
    atomic_fetch_add(&f->received, 1);
    f->h.admission(f->h.arg, e);
    boxoffice__v1__admission_event__free_unpacked(e, NULL);
}

/* bo_feed_is reports whether the message body starts with topic. */
static int bo_feed_is(const uint8_t *body, size_t len, const char *topic)
{
    size_t n = strlen(topic);
    return len >= n && memcmp(body, topic, n) == 0;
}

void bo_feed_deliver(struct bo_feed *f, const void *msg, size_t len)
{
    const uint8_t *body = msg;
    const uint8_t *nl = len > 0 ? memchr(body, '\n', len) : NULL;

    if (nl == NULL) {
        return;
    }
    if (bo_feed_is(body, len, BO_FEED_TOPIC_SEATS)) {
        size_t off = (size_t)(nl - body) + 1;
        bo_feed_seats(f, body + off, len - off);
    } else if (bo_feed_is(body, len, BO_FEED_TOPIC_ENDED)) {
        bo_feed_ended(f, body, len);
    } else if (f->h.admission != NULL && bo_feed_is(body, len, BO_FEED_TOPIC_ADMISSION)) {
        bo_feed_admission(f, body, len);
    }
}

static void *bo_feed_run(void *arg)
{
    struct bo_feed *f = arg;
    nng_msg *msg;
    int rv;

    while (!atomic_load(&f->stopping)) {
        if ((rv = nng_recvmsg(f->nng.sock, &msg, 0)) != 0) {
            if (rv == NNG_ETIMEDOUT) {
                continue;
            }
            break; /* closed */
        }
        bo_feed_deliver(f, nng_msg_body(msg), nng_msg_len(msg));
        nng_msg_free(msg);
    }
    return NULL;
}

/* bo_feed_urls copies the addresses of urls other than skip into out (comma-separated). */
static int bo_feed_urls(const char *urls, const char *skip, char *out, size_t outlen)
{
    size_t used = 0;
    const char *p = urls != NULL ? urls : "";

    out[0] = '\0';
    while (*p != '\0') {
        size_t len = strcspn(p, ", ");
        if (len > 0 && !(skip != NULL && strlen(skip) == len && strncmp(p, skip, len) == 0)) {
            if (used + len + 2 > outlen) {
                return BO_E_INVALID_ARGUMENT;
            }
            if (used > 0) {
                out[used++] = ',';
            }
            memcpy(out + used, p, len);
            used += len;
            out[used] = '\0';
        }
        p += len;
        p += strspn(p, ", ");
    }
    return BO_OK;
}

int bo_feed_start(const char *urls, const char *skip_url, const struct bo_feed_handlers *h,
                  struct bo_feed **out)
{
    struct bo_feed *f;
    char *list;
    size_t cap = (urls != NULL ? strlen(urls) : 0) + 2;
    int rc;

    if ((f = calloc(1, sizeof(*f))) == NULL || (list = malloc(cap)) == NULL) {
        free(f);
        return BO_E_NOMEM;
    }
    f->h = *h;
    atomic_init(&f->stopping, 0);
    atomic_init(&f->received, 0);
    if ((rc = bo_feed_urls(urls, skip_url, list, cap)) != BO_OK) {
        goto fail;
    }
    if (list[0] != '\0') {
        if ((rc = bo_nng_connect(&f->nng, nng_sub0_open, bo_feed_setup, f, list)) != BO_OK) {
            goto fail;
        }
        if (pthread_create(&f->thread, NULL, bo_feed_run, f) != 0) {
            rc = BO_E_NOMEM;
            goto fail;
        }
        f->started = 1;
    }
    free(list);
    *out = f;
    return BO_OK;
fail:
    free(list);
    bo_feed_stop(f);
    return rc;
}

void bo_feed_stop(struct bo_feed *f)
{
    if (f == NULL) {
        return;
    }
    atomic_store(&f->stopping, 1);
    if (f->started) {
        pthread_join(f->thread, NULL);
    }
    if (f->nng.open) {
        /* libnng 1.5 can deadlock closing a socket while messages arrive (nanomsg/nng#1543):
         * stop the traffic first, then close the quiet socket. */
        nng_socket_set(f->nng.sock, NNG_OPT_SUB_UNSUBSCRIBE, BO_FEED_TOPIC_SEATS,
                       strlen(BO_FEED_TOPIC_SEATS));
        nng_socket_set(f->nng.sock, NNG_OPT_SUB_UNSUBSCRIBE, BO_FEED_TOPIC_ENDED,
                       strlen(BO_FEED_TOPIC_ENDED));
        if (f->h.admission != NULL) {
            nng_socket_set(f->nng.sock, NNG_OPT_SUB_UNSUBSCRIBE, BO_FEED_TOPIC_ADMISSION,
                           strlen(BO_FEED_TOPIC_ADMISSION));
        }
    }
    bo_nng_close(&f->nng);
    free(f);
}

uint64_t bo_feed_received(const struct bo_feed *f)
{
    return atomic_load(&f->received);
}
