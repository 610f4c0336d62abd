/* libboxoffice subscriptions: admission events over NNG sub0 (see boxoffice/client.h). */
#include "boxoffice/client.h"

#include "bo_error.h"
#include "bo_feed.h"
#include "bo_nng.h"

#include <nng/protocol/pubsub0/sub.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bo_subscription {
    struct bo_nng nng;
    uint64_t concert_id; /* filtered here when the topic is the user's */
    char topic[64];
};

/* bo_subscription_setup subscribes the sub0 socket to topic (the arg) and sizes its queue: a
 * position round publishes bursts of events, buffered rather than dropped. */
static int bo_subscription_setup(nng_socket sock, const void *topic)
{
    if (nng_socket_set(sock, NNG_OPT_SUB_SUBSCRIBE, topic, strlen(topic)) != 0 ||
        nng_socket_set_int(sock, NNG_OPT_RECVBUF, 8192) != 0) {
        return BO_E_INTERNAL;
    }
    return BO_OK;
}

int bo_subscribe(const char *urls, uint64_t concert_id, uint64_t user_id,
                 struct bo_subscription **out)
{
    struct bo_subscription *sub;
    int rc;

    if (urls == NULL) {
        return BO_E_INVALID_ARGUMENT;
    }
    if ((sub = calloc(1, sizeof(*sub))) == NULL) {
        return BO_E_NOMEM;
    }
    /* Each event is published under its user's and its concert's topic: take one of them. */
    if (user_id != 0) {
        snprintf(sub->topic, sizeof(sub->topic), "user/%llu/", (unsigned long long)user_id);
        sub->concert_id = concert_id;
    } else if (concert_id != 0) {
        snprintf(sub->topic, sizeof(sub->topic), "concert/%llu/", (unsigned long long)concert_id);
    } else {
        snprintf(sub->topic, sizeof(sub->topic), "concert/");
    }
    rc = bo_nng_connect(&sub->nng, nng_sub0_open, bo_subscription_setup, sub->topic, urls);
    if (rc != BO_OK) {
        bo_subscription_close(sub);
        return rc;
    }
    *out = sub;
    return BO_OK;
}

int bo_subscription_next(struct bo_subscription *sub, int timeout_ms,
                         Boxoffice__V1__AdmissionEvent **out)
{
    nng_msg *msg;
    int rv;

    if (nng_socket_set_ms(sub->nng.sock, NNG_OPT_RECVTIMEO, timeout_ms) != 0) {
        return BO_E_INTERNAL;
    }
    for (;;) {
        if ((rv = nng_recvmsg(sub->nng.sock, &msg, 0)) != 0) {
            return rv == NNG_ETIMEDOUT ? BO_E_TIMEOUT : BO_E_UNAVAILABLE;
        }
        Boxoffice__V1__AdmissionEvent *e = NULL;
        rv = bo_feed_event_decode(nng_msg_body(msg), nng_msg_len(msg), &e);
        nng_msg_free(msg);
        if (rv != BO_OK) {
            continue; /* not an event of ours: skip it rather than fail the subscriber */
        }
        if (sub->concert_id != 0 && e->concert_id != sub->concert_id) {
            boxoffice__v1__admission_event__free_unpacked(e, NULL);
            continue;
        }
        *out = e;
        return BO_OK;
    }
}

void bo_subscription_close(struct bo_subscription *sub)
{
    if (sub == NULL) {
        return;
    }
    if (sub->nng.open) {
        /* libnng 1.5 can deadlock closing a socket while messages arrive (nanomsg/nng#1543):
         * stop the traffic first, then close the quiet socket. */
        nng_socket_set(sub->nng.sock, NNG_OPT_SUB_UNSUBSCRIBE, sub->topic, strlen(sub->topic));
    }
    bo_nng_close(&sub->nng);
    free(sub);
}
