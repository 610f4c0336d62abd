/*
 * bo_batch: the calls of many threads carried together in Batch rpcs (bo_call_batched in
 * boxoffice/client.h), grouped by bo_group: a call packs its own envelope and joins the
 * client's group; a leading thread sends the calls at the head as one Batch, on the session
 * of the first of them (its thread is asleep in the group until the call is done, so its
 * context is free), and hands each call its reply. bo_call_many sends one thread's many calls
 * in Batches of its own.
 */
#include "bo_client_impl.h"

#include "bo_error.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* One call in the group, on its thread's stack until the call returns. */
struct bo_batch_wait {
    struct bo_group_item item;
    struct bo_session *s;
    nng_msg *req; /* the packed RequestEnvelope, freed by the send */
    void *reply;  /* a copy of its ReplyEnvelope (malloc), when rc is BO_OK */
    size_t reply_len;
    int rc; /* the outcome of its Batch: BO_OK, or why the Batch failed */
};

/* The index of the Batch rpc, or -1 in a library built without it. */
static unsigned bo_batch_method(void)
{
    uint32_t index = 0;

    return bo_method_index("Batch", &index) == BO_OK ? (unsigned)index : (unsigned)-1;
}

/* bo_batch_reply hands w the reply of its call from rep, the decoded Batch (NULL when the Batch
 * failed with rc), where the reply is replies[i]. */
static void bo_batch_reply(struct bo_batch_wait *w, const Boxoffice__V1__BatchReply *rep, size_t i,
                           int rc)
{
    w->rc = rc;
    if (rc != BO_OK) {
        return;
    }
    if (i >= rep->n_replies) {
        w->rc = BO_E_INTERNAL; /* the service answered fewer calls than it was sent */
    } else if ((w->reply = malloc(rep->replies[i].len + 1)) == NULL) {
        w->rc = BO_E_NOMEM;
    } else {
        memcpy(w->reply, rep->replies[i].data, rep->replies[i].len);
        w->reply_len = rep->replies[i].len;
    }
}

/* bo_batch_exchange sends reqs[0..n) (packed RequestEnvelopes) as one Batch on s and waits:
 * BO_OK with *rep set (caller frees), or why the Batch failed. The Batch is made by nobody:
 * each call in it carries its own caller. */
static int bo_batch_exchange(struct bo_session *s, ProtobufCBinaryData *reqs, size_t n,
                             Boxoffice__V1__BatchReply **rep)
{
    Boxoffice__V1__BatchRequest in = BOXOFFICE__V1__BATCH_REQUEST__INIT;
    nng_msg *req = NULL, *msg = NULL;
    unsigned method = bo_batch_method();
    char proof = s->proof[0], addr = s->client_addr[0];
    uint64_t id;
    int rc;

    *rep = NULL;
    in.requests = reqs;
    in.n_requests = n;
    s->proof[0] = s->client_addr[0] = '\0';
    rc = bo_session_encode(s, method, &in.base, &id, &req);
    s->proof[0] = proof;
    s->client_addr[0] = addr;
    if (rc == BO_OK && (rc = bo_session_exchange(s, req, &msg)) == BO_OK) {
        rc = bo_session_decode(s, method, nng_msg_body(msg), nng_msg_len(msg), id,
                               (ProtobufCMessage **)rep);
        nng_msg_free(msg);
    }
    return rc;
}

/* bo_batch_send is the group's send: the calls of items[0..n) as one Batch. */
static void bo_batch_send(void *arg, struct bo_group_item *const *items, size_t n)
{
    Boxoffice__V1__BatchReply *rep = NULL;
    ProtobufCBinaryData reqs[BO_GROUP_ITEMS_MAX];
    struct bo_batch_wait *w[BO_GROUP_ITEMS_MAX];
    int rc;

    (void)arg;
    if (n == 0 || n > BO_GROUP_ITEMS_MAX) {
        return; /* never: the group sends 1..BO_BATCH_CALLS_MAX calls */
    }
    for (size_t i = 0; i < n; i++) {
        w[i] = (struct bo_batch_wait *)((char *)items[i] - offsetof(struct bo_batch_wait, item));
        reqs[i].data = nng_msg_body(w[i]->req);
        reqs[i].len = nng_msg_len(w[i]->req);
    }
    rc = bo_batch_exchange(w[0]->s, reqs, n, &rep);
    for (size_t i = 0; i < n; i++) {
        nng_msg_free(w[i]->req);
        w[i]->req = NULL;
        bo_batch_reply(w[i], rep, i, rc);
    }
    if (rep != NULL) {
        protobuf_c_message_free_unpacked(&rep->base, NULL);
    }
}

int bo_batch_init(struct bo_client *c)
{
    if (bo_group_init(&c->batcher, BO_BATCH_CALLS_MAX, BO_BATCH_IN_FLIGHT, bo_batch_send, c) != 0) {
        return BO_E_INTERNAL;
    }
    return BO_OK;
}

int bo_call_batched(struct bo_session *s, const char *method, const ProtobufCMessage *in,
                    ProtobufCMessage **out, struct bo_status *status)
{
    unsigned batch = bo_batch_method();
    struct bo_batch_wait w = {.s = s};
    uint32_t index;
    uint64_t id;
    int rc;

    if (bo_method_index(method, &index) != BO_OK) {
        rc = bo_session_fail(s, BO_E_UNKNOWN_METHOD, NULL);
        goto out;
    }
    if (batch == (unsigned)-1 || index == batch) {
        rc = bo_session_call_index(s, index, in, out);
        goto out;
    }
    if ((rc = bo_session_encode(s, index, in, &id, &w.req)) != BO_OK) {
        goto out;
    }
    if (nng_msg_len(w.req) > BO_BATCH_CALL_BYTES_MAX) {
        nng_msg_free(w.req); /* too large to share a Batch: alone */
        rc = bo_session_call_index(s, index, in, out);
        goto out;
    }
    if (bo_group_join(&s->client->batcher, &w.item) != 0) {
        nng_msg_free(w.req);
        rc = bo_session_fail(s, BO_E_INTERNAL, NULL);
        goto out;
    }
    if (w.rc == BO_E_UNKNOWN_METHOD) {
        rc = bo_session_call_index(s, index, in, out); /* a service without Batch yet */
    } else if (w.rc != BO_OK) {
        rc = bo_session_fail(s, w.rc, NULL);
    } else {
        rc = bo_session_decode(s, index, w.reply, w.reply_len, id, out);
    }
    free(w.reply);
out:
    if (status != NULL) {
        *status = s->last;
    }
    return rc;
}

/* bo_call_many_some makes calls [0, n) of bo_call_many (n <= BO_BATCH_CALLS_MAX): those small
 * enough in one Batch, the others alone. */
static void bo_call_many_some(struct bo_session *s, unsigned index, size_t n,
                              const ProtobufCMessage *const *ins, ProtobufCMessage **outs, int *rcs)
{
    ProtobufCBinaryData reqs[BO_BATCH_CALLS_MAX];
    nng_msg *msgs[BO_BATCH_CALLS_MAX];
    uint64_t ids[BO_BATCH_CALLS_MAX];
    size_t which[BO_BATCH_CALLS_MAX]; /* the call each Batch entry is */
    Boxoffice__V1__BatchReply *rep = NULL;
    size_t k = 0;
    int rc;

    for (size_t i = 0; i < n; i++) {
        nng_msg *m = NULL;
        outs[i] = NULL;
        if ((rcs[i] = bo_session_encode(s, index, ins[i], &ids[k], &m)) != BO_OK) {
            continue;
        }
        if (nng_msg_len(m) > BO_BATCH_CALL_BYTES_MAX) {
            nng_msg_free(m); /* too large to share a Batch */
            rcs[i] = bo_session_call_index(s, index, ins[i], &outs[i]);
            continue;
        }
        msgs[k] = m;
        reqs[k].data = nng_msg_body(m);
        reqs[k].len = nng_msg_len(m);
        which[k++] = i;
    }
    if (k == 0) {
        return;
    }
    rc = bo_batch_exchange(s, reqs, k, &rep);
    for (size_t j = 0; j < k; j++) {
        size_t i = which[j];
        nng_msg_free(msgs[j]);
        if (rc == BO_E_UNKNOWN_METHOD) {
            rcs[i] = bo_session_call_index(s, index, ins[i], &outs[i]); /* no Batch rpc yet */
        } else if (rc != BO_OK) {
            rcs[i] = rc;
        } else if (j >= rep->n_replies) {
            rcs[i] = BO_E_INTERNAL; /* the service answered fewer calls than it was sent */
        } else {
            rcs[i] = bo_session_decode(s, index, rep->replies[j].data, rep->replies[j].len, ids[j],
                                       &outs[i]);
        }
    }
    if (rep != NULL) {
        protobuf_c_message_free_unpacked(&rep->base, NULL);
    }
}

int bo_call_many(struct bo_session *s, const char *method, size_t n,
                 const ProtobufCMessage *const *ins, ProtobufCMessage **outs, int *rcs)
{
    unsigned batch = bo_batch_method();
    uint32_t index;

    if (bo_method_index(method, &index) != BO_OK) {
        return bo_session_fail(s, BO_E_UNKNOWN_METHOD, NULL);
    }
    if (index == batch) {
        return bo_session_fail(s, BO_E_INVALID_ARGUMENT, "a Batch cannot travel in a Batch");
    }
    for (size_t i = 0; i < n; i += BO_BATCH_CALLS_MAX) {
        size_t k = n - i < BO_BATCH_CALLS_MAX ? n - i : BO_BATCH_CALLS_MAX;
        if (batch == (unsigned)-1) {
            for (size_t j = i; j < i + k; j++) {
                outs[j] = NULL; /* stays so when the call fails */
                rcs[j] = bo_session_call_index(s, index, ins[j], &outs[j]);
            }
        } else {
            bo_call_many_some(s, index, k, ins + i, outs + i, rcs + i);
        }
    }
    return BO_OK;
}
