/* libboxoffice subscriptions: admission events over NNG sub0 (see boxoffice/client.h). */
#include "boxoffice/client.h"

#include "bo_error.h"

#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Service instances one subscription dials at most. */
#define BO_SUBSCRIBE_MAX_URLS 32

struct bo_subscription {
    nng_socket sock;
    int open;
    uint64_t concert_id; /* filtered here when the topic is the user's */
    char topic[64];
    nng_dialer dialers[BO_SUBSCRIBE_MAX_URLS];
    int ndialers;
};

int bo_subscribe(const char *urls, uint64_t concert_id, uint64_t user_id,
                 struct bo_subscription **out)
{
    struct bo_subscription *sub;
    char buf[2048];
    char *save = NULL;
    int ndialed = 0;

    if (urls == NULL || strlen(urls) >= sizeof(buf)) {
        return BO_E_INVALID_ARGUMENT;
    }
    if ((sub = calloc(1, sizeof(*sub))) == NULL) {
        return BO_E_NOMEM;
    }
    if (nng_sub0_open(&sub->sock) != 0) {
        free(sub);
        return BO_E_INTERNAL;
    }
    sub->open = 1;
    /* Each event is published under its user's and its concert's topic: take one of them. */
    if (user_id != 0) {
        snprintf(sub->topic, sizeof(sub->topic), "user/%llu/", (unsigned long long)user_id);
        sub->concert_id = concert_id;
    } else if (concert_id != 0) {
        snprintf(sub->topic, sizeof(sub->topic), "concert/%llu/", (unsigned long long)concert_id);
    } else {
        snprintf(sub->topic, sizeof(sub->topic), "concert/");
    }
    if (nng_socket_set(sub->sock, NNG_OPT_SUB_SUBSCRIBE, sub->topic, strlen(sub->topic)) != 0 ||
        /* A position round publishes bursts of events: buffer them rather than drop. */
        nng_socket_set_int(sub->sock, NNG_OPT_RECVBUF, 8192) != 0 ||
        nng_socket_set_ms(sub->sock, NNG_OPT_RECONNMINT, 50) != 0 ||
        nng_socket_set_ms(sub->sock, NNG_OPT_RECONNMAXT, 1000) != 0) {
        bo_subscription_close(sub);
        return BO_E_INTERNAL;
    }
    memcpy(buf, urls, strlen(urls) + 1);
    for (char *url = strtok_r(buf, ", ", &save); url != NULL; url = strtok_r(NULL, ", ", &save)) {
        if (sub->ndialers == BO_SUBSCRIBE_MAX_URLS ||
            nng_dial(sub->sock, url, &sub->dialers[sub->ndialers], NNG_FLAG_NONBLOCK) != 0) {
            bo_subscription_close(sub);
            return BO_E_INVALID_ARGUMENT;
        }
        sub->ndialers++;
        ndialed++;
    }
    if (ndialed == 0) {
        bo_subscription_close(sub);
        return BO_E_INVALID_ARGUMENT;
    }
    *out = sub;
    return BO_OK;
}

int bo_subscription_next(struct bo_subscription *sub, int timeout_ms,
                         Boxoffice__V1__AdmissionEvent **out)
{
    nng_msg *msg;
    int rv;

    if (nng_socket_set_ms(sub->sock, NNG_OPT_RECVTIMEO, timeout_ms) != 0) {
        return BO_E_INTERNAL;
    }
    for (;;) {
        if ((rv = nng_recvmsg(sub->sock, &msg, 0)) != 0) {
            return rv == NNG_ETIMEDOUT ? BO_E_TIMEOUT : BO_E_UNAVAILABLE;
        }
        const char *body = nng_msg_body(msg);
        size_t len = nng_msg_len(msg);
        const char *nl = memchr(body, '\n', len);
        Boxoffice__V1__AdmissionEvent *e = NULL;
        if (nl != NULL) {
            size_t off = (size_t)(nl - body) + 1;
            e = boxoffice__v1__admission_event__unpack(NULL, len - off,
                                                       (const uint8_t *)body + off);
        }
        nng_msg_free(msg);
        if (e == NULL) {
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
    if (sub->open) {
        /* libnng 1.5 can deadlock closing a socket while messages arrive (nanomsg/nng#1543):
         * stop the traffic first, then close the quiet socket. */
        nng_socket_set(sub->sock, NNG_OPT_SUB_UNSUBSCRIBE, sub->topic, strlen(sub->topic));
        for (int i = 0; i < sub->ndialers; i++) {
            nng_dialer_close(sub->dialers[i]);
        }
        nng_close(sub->sock);
    }
    free(sub);
}
