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

void events_publish_admitted(struct events *ev, const struct queue_token *tokens, size_t n)
{
    Boxoffice__V1__AdmissionEvent e = BOXOFFICE__V1__ADMISSION_EVENT__INIT;
    uint8_t buf[256];
    char id[48], topic[64];

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
        size_t len = boxoffice__v1__admission_event__pack(&e, buf);
        snprintf(topic, sizeof(topic), "concert/%llu/", (unsigned long long)t->concert_id);
        events_send(ev, topic, buf, len);
        snprintf(topic, sizeof(topic), "user/%llu/", (unsigned long long)t->user_id);
        events_send(ev, topic, buf, len);
    }
}
