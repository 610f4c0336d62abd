/* events: admission events on an NNG pub0 socket (see events.h). */
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
    if (nng_sendmsg(ev->nng.sock, msg, NNG_FLAG_NONBLOCK) != 0) {
        nng_msg_free(msg);
    }
}

/* events_emit completes e as an event about the token (concert_id, sequence) of user_id, packs
 * it and sends it under the concert's and the user's topic. Does nothing when ev is NULL. */
static void events_emit(struct events *ev, Boxoffice__V1__AdmissionEvent *e, uint64_t concert_id,
                        uint64_t user_id, uint64_t sequence)
{
    char id[TOKEN_ID_MAX], topic[64];
    uint8_t buf[256];
    size_t len;

    if (ev == NULL) {
        return;
    }
    token_id(concert_id, sequence, id, sizeof(id));
    e->concert_id = concert_id;
    e->user_id = user_id;
    e->token_id = id;
    /* Every field is bounded (ids, times, a token id of at most 41 characters). */
    if (boxoffice__v1__admission_event__get_packed_size(e) > sizeof(buf)) {
        return;
    }
    len = boxoffice__v1__admission_event__pack(e, buf);
    snprintf(topic, sizeof(topic), "concert/%llu/", (unsigned long long)concert_id);
    events_send(ev, topic, buf, len);
    snprintf(topic, sizeof(topic), "user/%llu/", (unsigned long long)user_id);
    events_send(ev, topic, buf, len);
}

void events_publish_admitted(struct events *ev, const struct queue_token *tokens, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        Boxoffice__V1__AdmissionEvent e = BOXOFFICE__V1__ADMISSION_EVENT__INIT;
        e.kind = BOXOFFICE__V1__EVENT_KIND__EVENT_ADMITTED;
        e.sequence = tokens[i].admission_no;
        e.admitted_at_ms = tokens[i].admitted_at_ms;
        e.active_until_ms = tokens[i].expires_at_ms;
        events_emit(ev, &e, tokens[i].concert_id, tokens[i].user_id, tokens[i].sequence);
    }
}

void events_publish_expired(struct events *ev, const struct queue_token *tokens, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        Boxoffice__V1__AdmissionEvent e = BOXOFFICE__V1__ADMISSION_EVENT__INIT;
        e.kind = BOXOFFICE__V1__EVENT_KIND__EVENT_EXPIRED;
        events_emit(ev, &e, tokens[i].concert_id, tokens[i].user_id, tokens[i].sequence);
    }
}

void events_publish_position(struct events *ev, uint64_t concert_id, uint64_t user_id,
                             uint64_t sequence, uint64_t position, uint32_t eta_seconds)
{
    Boxoffice__V1__AdmissionEvent e = BOXOFFICE__V1__ADMISSION_EVENT__INIT;

    e.kind = BOXOFFICE__V1__EVENT_KIND__EVENT_POSITION;
    e.position = position;
    e.eta_seconds = eta_seconds;
    events_emit(ev, &e, concert_id, user_id, sequence);
}
