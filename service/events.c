/* events: admission events on an NNG pub0 socket (see events.h). */
#include "events.h"

#include "bo_error.h"
#include "bo_log.h"
#include "token.h"

#include "boxoffice/v1/events.pb-c.h"

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Messages queued per subscriber connection before the oldest are dropped: room for the
 * position updates one admission tick sends, so a subscriber that reads as fast as the
 * network delivers loses nothing. */
#define EVENTS_SENDBUF 8192

struct events {
    nng_socket sock;
    int open;
};

int events_open(const char *url, struct events **out)
{
    struct events *ev;
    int rv;

    if ((ev = calloc(1, sizeof(*ev))) == NULL) {
        return BO_E_NOMEM;
    }
    if (nng_pub0_open(&ev->sock) != 0) {
        free(ev);
        return BO_E_INTERNAL;
    }
    ev->open = 1;
    if ((rv = nng_socket_set_int(ev->sock, NNG_OPT_SENDBUF, EVENTS_SENDBUF)) != 0) {
        /* Not fatal: a smaller queue only drops more under bursts. */
        BO_WARN("events: cannot set the send buffer: %s", nng_strerror(rv));
    }
    if ((rv = nng_listen(ev->sock, url, NULL, 0)) != 0) {
        BO_ERR("cannot publish events on %s: %s", url, nng_strerror(rv));
        events_close(ev);
        return BO_E_INVALID_ARGUMENT;
    }
    *out = ev;
    return BO_OK;
}

void events_close(struct events *ev)
{
    if (ev == NULL) {
        return;
    }
    if (ev->open) {
        nng_close(ev->sock);
    }
    free(ev);
}

static void events_send(struct events *ev, const char *topic, const uint8_t *body, size_t len)
{
    size_t tlen = strlen(topic);
    nng_msg *msg;

    if (nng_msg_alloc(&msg, tlen + 1 + len) != 0) {
        return;
    }
    memcpy(nng_msg_body(msg), topic, tlen);
    ((char *)nng_msg_body(msg))[tlen] = '\n';
    memcpy((char *)nng_msg_body(msg) + tlen + 1, body, len);
    if (nng_sendmsg(ev->sock, msg, NNG_FLAG_NONBLOCK) != 0) {
        nng_msg_free(msg);
    }
}

/* events_emit packs e and sends it under its concert's and its user's topic. */
static void events_emit(struct events *ev, const Boxoffice__V1__AdmissionEvent *e)
{
    uint8_t buf[256];
    char topic[64];
    size_t len;

    /* Every field is bounded (ids, times, a token id of at most 41 characters). */
    if (boxoffice__v1__admission_event__get_packed_size(e) > sizeof(buf)) {
        return;
    }
    len = boxoffice__v1__admission_event__pack(e, buf);
    snprintf(topic, sizeof(topic), "concert/%llu/", (unsigned long long)e->concert_id);
    events_send(ev, topic, buf, len);
    snprintf(topic, sizeof(topic), "user/%llu/", (unsigned long long)e->user_id);
    events_send(ev, topic, buf, len);
}

void events_publish_admitted(struct events *ev, const struct queue_token *tokens, size_t n)
{
    Boxoffice__V1__AdmissionEvent e = BOXOFFICE__V1__ADMISSION_EVENT__INIT;
    char id[48];

    for (size_t i = 0; ev != NULL && i < n; i++) {
        const struct queue_token *t = &tokens[i];
        token_id(t->concert_id, t->sequence, id, sizeof(id));
        e.kind = BOXOFFICE__V1__EVENT_KIND__EVENT_ADMITTED;
        e.sequence = t->admission_no;
        e.concert_id = t->concert_id;
        e.user_id = t->user_id;
        e.token_id = id;
        e.admitted_at_ms = t->admitted_at_ms;
        e.active_until_ms = t->expires_at_ms;
        events_emit(ev, &e);
    }
}

void events_publish_expired(struct events *ev, const struct queue_token *tokens, size_t n)
{
    Boxoffice__V1__AdmissionEvent e = BOXOFFICE__V1__ADMISSION_EVENT__INIT;
    char id[48];

    for (size_t i = 0; ev != NULL && i < n; i++) {
        const struct queue_token *t = &tokens[i];
        token_id(t->concert_id, t->sequence, id, sizeof(id));
        e.kind = BOXOFFICE__V1__EVENT_KIND__EVENT_EXPIRED;
        e.sequence = 0;
        e.concert_id = t->concert_id;
        e.user_id = t->user_id;
        e.token_id = id;
        events_emit(ev, &e);
    }
}

void events_publish_position(struct events *ev, uint64_t concert_id, uint64_t user_id,
                             uint64_t sequence, uint64_t position, uint32_t eta_seconds)
{
    Boxoffice__V1__AdmissionEvent e = BOXOFFICE__V1__ADMISSION_EVENT__INIT;
    char id[48];

    if (ev == NULL) {
        return;
    }
    token_id(concert_id, sequence, id, sizeof(id));
    e.kind = BOXOFFICE__V1__EVENT_KIND__EVENT_POSITION;
    e.sequence = 0;
    e.concert_id = concert_id;
    e.user_id = user_id;
    e.token_id = id;
    e.position = position;
    e.eta_seconds = eta_seconds;
    events_emit(ev, &e);
}
