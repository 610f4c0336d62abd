/* events: admission, ended-token and seat events on an NNG pub0 socket (see events.h). */
#include "events.h"

#include "bo_error.h"
#include "bo_log.h"
#include "bo_nng.h"
#include "token.h"

#include "boxoffice/v1/events.pb-c.h"

#include <nng/protocol/pubsub0/pub.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Messages queued per subscriber connection before the oldest are dropped: room for the
 * position updates one admission tick sends, so a subscriber that reads as fast as the
 * network delivers loses nothing. */
#define EVENTS_SENDBUF 8192

/* Seats of one SeatEvent built on the stack; more are built on the heap. */
#define EVENTS_STACK_SEATS 8

struct events {
    struct bo_nng nng;
};

int events_open(const char *url, struct events **out)
{
    struct events *ev;
    int rc, rv;

    if ((ev = calloc(1, sizeof(*ev))) == NULL) {
        return BO_E_NOMEM;
    }
    if ((rc = bo_nng_open(&ev->nng, nng_pub0_open)) != BO_OK) {
        events_close(ev);
        return rc;
    }
    if ((rv = nng_socket_set_int(ev->nng.sock, NNG_OPT_SENDBUF, EVENTS_SENDBUF)) != 0) {
        /* Not fatal: a smaller queue only drops more under bursts. */
        BO_WARN("events: cannot set the send buffer: %s", nng_strerror(rv));
    }
    if ((rv = nng_listen(ev->nng.sock, url, NULL, 0)) != 0) {
        BO_ERR("cannot publish events on %s: %s", url, nng_strerror(rv));
        events_close(ev);
        return BO_E_INVALID_ARGUMENT;
    }
    *out = ev;
    return BO_OK;
}

void events_close(struct events *ev)
{
    if (ev != NULL) {
        bo_nng_close(&ev->nng);
        free(ev);
    }
}

/* events_send packs m after topic and a newline into one frame and sends it without waiting
 * (a full queue drops it, as pub/sub may). */
static void events_send(struct events *ev, const char *topic, const ProtobufCMessage *m)
{
    size_t tlen = strlen(topic);
    size_t len = protobuf_c_message_get_packed_size(m);
    nng_msg *msg;
    char *body;

    if (nng_msg_alloc(&msg, tlen + 1 + len) != 0) {
        return;
    }
    body = nng_msg_body(msg);
    memcpy(body, topic, tlen);
    body[tlen] = '\n';
    protobuf_c_message_pack(m, (uint8_t *)body + tlen + 1);
    if (nng_sendmsg(ev->nng.sock, msg, NNG_FLAG_NONBLOCK) != 0) {
        nng_msg_free(msg);
    }
}

/* events_emit completes e as an event about the token (concert_id, sequence) of user_id and
 * sends it under the concert's and the user's topic, and under "ended/" when ended. Does
 * nothing when ev is NULL. */
static void events_emit(struct events *ev, Boxoffice__V1__AdmissionEvent *e, uint64_t concert_id,
                        uint64_t user_id, uint64_t sequence, int ended)
{
    char id[TOKEN_ID_MAX], topic[64];

    if (ev == NULL) {
        return;
    }
    token_id(concert_id, sequence, id, sizeof(id));
    e->concert_id = concert_id;
    e->user_id = user_id;
    e->token_id = id;
    snprintf(topic, sizeof(topic), "concert/%llu/", (unsigned long long)concert_id);
    events_send(ev, topic, &e->base);
    snprintf(topic, sizeof(topic), "user/%llu/", (unsigned long long)user_id);
    events_send(ev, topic, &e->base);
    if (ended) {
        snprintf(topic, sizeof(topic), "ended/%llu/", (unsigned long long)concert_id);
        events_send(ev, topic, &e->base);
    }
}

void events_publish_admitted(struct events *ev, const struct queue_token *tokens, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        Boxoffice__V1__AdmissionEvent e = BOXOFFICE__V1__ADMISSION_EVENT__INIT;
        e.kind = BOXOFFICE__V1__EVENT_KIND__EVENT_ADMITTED;
        e.sequence = tokens[i].admission_no;
        e.admitted_at_ms = tokens[i].admitted_at_ms;
        e.active_until_ms = tokens[i].expires_at_ms;
        events_emit(ev, &e, tokens[i].concert_id, tokens[i].user_id, tokens[i].sequence, 0);
    }
}

void events_publish_ended(struct events *ev, uint64_t concert_id, uint64_t user_id,
                          uint64_t sequence)
{
    Boxoffice__V1__AdmissionEvent e = BOXOFFICE__V1__ADMISSION_EVENT__INIT;

    e.kind = BOXOFFICE__V1__EVENT_KIND__EVENT_EXPIRED;
    events_emit(ev, &e, concert_id, user_id, sequence, 1);
}

void events_publish_expired(struct events *ev, const struct queue_token *tokens, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        events_publish_ended(ev, tokens[i].concert_id, tokens[i].user_id, tokens[i].sequence);
    }
}

void events_publish_position(struct events *ev, uint64_t concert_id, uint64_t user_id,
                             uint64_t sequence, uint64_t position, uint32_t eta_seconds)
{
    Boxoffice__V1__AdmissionEvent e = BOXOFFICE__V1__ADMISSION_EVENT__INIT;

    e.kind = BOXOFFICE__V1__EVENT_KIND__EVENT_POSITION;
    e.position = position;
    e.eta_seconds = eta_seconds;
    events_emit(ev, &e, concert_id, user_id, sequence, 0);
}

void events_publish_seats(struct events *ev, uint64_t schedule_id, uint64_t concert_id,
                          const struct bo_seat_state *seats, size_t n)
{
    Boxoffice__V1__SeatEvent e = BOXOFFICE__V1__SEAT_EVENT__INIT;
    Boxoffice__V1__Seat stack[EVENTS_STACK_SEATS], *msgs = stack;
    Boxoffice__V1__Seat *stack_ptrs[EVENTS_STACK_SEATS], **ptrs = stack_ptrs;
    char topic[64];

    if (ev == NULL || n == 0) {
        return;
    }
    if (n > EVENTS_STACK_SEATS) {
        msgs = malloc(n * sizeof(*msgs));
        ptrs = malloc(n * sizeof(*ptrs));
        if (msgs == NULL || ptrs == NULL) {
            goto done; /* dropped, as pub/sub may: readers re-read the map */
        }
    }
    for (size_t i = 0; i < n; i++) {
        boxoffice__v1__seat__init(&msgs[i]);
        msgs[i].seat_no = seats[i].seat_no;
        msgs[i].price = seats[i].price;
        msgs[i].status = (Boxoffice__V1__SeatStatus)seats[i].status;
        msgs[i].held_until_ms = seats[i].held_until_ms;
        msgs[i].reservation_id = seats[i].reservation_id;
        ptrs[i] = &msgs[i];
    }
    e.schedule_id = schedule_id;
    e.concert_id = concert_id;
    e.n_seats = n;
    e.seats = ptrs;
    snprintf(topic, sizeof(topic), "schedule/%llu/", (unsigned long long)schedule_id);
    events_send(ev, topic, &e.base);
done:
    if (msgs != stack) {
        free(msgs);
    }
    if (ptrs != stack_ptrs) {
        free(ptrs);
    }
}
