/*
 * Integration suite of batched calls: libboxoffice's bo_call_batched from many threads at
 * once against two service instances, and the Batch rpc itself. What callers rely on: every
 * call is answered as if it had travelled alone (its own caller, its own reply, its own
 * error), each is served exactly once, and calls made at the same moment really share
 * batches.
 */
#include "bo_envelope.h"
#include "bo_error.h"
#include "boxoffice/client.h"
#include "support.h"
#include "testenv.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct testenv env;
static struct bo_client *client;

static void suite_setup(void)
{
    testenv_up(&env, TESTENV_SEED, 2, NULL);
    ck_assert_int_eq(testenv_limits_off(&env), 0);
    ck_assert_int_eq(bo_client_open(env.rpc_urls, 10000, &client), BO_OK);
}

static void suite_teardown(void)
{
    testenv_stop(&env);
    bo_client_close(client);
}

/* metric_sum adds up the sample name (labels included) over both instances (0 where absent). */
static long long metric_sum(const char *name)
{
    long long sum = 0;

    for (int i = 0; i < env.ninstances; i++) {
        char path[300], url[128], line[512];
        snprintf(path, sizeof(path), "%s/metrics-%d.txt", env.dir, i);
        snprintf(url, sizeof(url), "http://%s/metrics", env.metrics_listen[i]);
        char *curl[] = {"/usr/bin/curl", "-fsS", "--max-time", "5", "-o", path, url, NULL};
        ck_assert_msg(support_run(curl, NULL, 10000) == 0, "GET %s failed", url);
        FILE *f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        while (fgets(line, sizeof(line), f) != NULL) {
            if (strncmp(line, name, strlen(name)) == 0 && line[strlen(name)] == ' ') {
                sum += atoll(line + strlen(name) + 1);
            }
        }
        fclose(f);
    }
    return sum;
}

#define ISSUED_OK  "boxoffice_rpc_requests_total{method=\"IssueToken\",code=\"OK\"}"
#define BATCHES_OK "boxoffice_rpc_requests_total{method=\"Batch\",code=\"OK\"}"

enum { CALLERS = 40, ROUNDS = 15, FIRST_USER = 30001 };

/* What one caller thread does and what it saw. */
struct caller {
    int index;
    pthread_barrier_t *start;
    int kind;     /* 0: a user of its own; 1: a forged proof; 2: asks for another user's token */
    int failures; /* answers that were not this caller's */
    char why[320];
    int issued; /* IssueToken calls answered OK */
};

static void caller_fail(struct caller *c, const char *what, int round)
{
    if (c->failures++ == 0) {
        snprintf(c->why, sizeof(c->why), "caller %d round %d: %s", c->index, round, what);
    }
}

/* caller_main issues and reads tokens ROUNDS times through bo_call_batched and checks every
 * answer is its own. */
static void *caller_main(void *arg)
{
    struct caller *c = arg;
    uint64_t user = FIRST_USER + (uint64_t)c->index;
    uint64_t concert = 1 + (uint64_t)c->index % 3;
    struct bo_session *s = NULL;
    char jwt[512], first[200] = "";
    struct bo_status st;

    if (bo_session_open(client, &s) != BO_OK || testenv_jwt(&env, user, 0, jwt, sizeof(jwt))) {
        caller_fail(c, "no session", -1);
        return NULL;
    }
    if (bo_session_set_caller(s, c->kind == 1 ? "forged.proof.text" : jwt, NULL) != BO_OK) {
        caller_fail(c, "no caller", -1);
    }
    pthread_barrier_wait(c->start);
    for (int round = 0; round < ROUNDS; round++) {
        Boxoffice__V1__IssueTokenRequest req = BOXOFFICE__V1__ISSUE_TOKEN_REQUEST__INIT;
        ProtobufCMessage *out = NULL;
        req.user_id = c->kind == 2 ? user + 1 : user;
        req.concert_id = concert;
        int rc = bo_call_batched(s, "IssueToken", &req.base, &out, &st);
        if (c->kind == 1) {
            if (rc != BO_E_SESSION_INVALID) {
                caller_fail(c, "a forged proof was not refused as SESSION_INVALID", round);
            }
            continue;
        }
        if (c->kind == 2) {
            if (rc != BO_E_NOT_OWNER) {
                caller_fail(c, "another user's token was not refused as NOT_OWNER", round);
            }
            continue;
        }
        if (rc != BO_OK) {
            caller_fail(c, st.message, round);
            continue;
        }
        c->issued++;
        const Boxoffice__V1__Token *t = ((Boxoffice__V1__IssueTokenReply *)out)->token;
        if (t == NULL || t->user_id != user || t->concert_id != concert) {
            caller_fail(c, "the token is not this caller's", round);
        } else if (round == 0) {
            snprintf(first, sizeof(first), "%s", t->token);
        } else if (strcmp(first, t->token) != 0) {
            caller_fail(c, "asking again did not answer the live token", round);
        }
        protobuf_c_message_free_unpacked(out, NULL);
        Boxoffice__V1__GetTokenRequest get = BOXOFFICE__V1__GET_TOKEN_REQUEST__INIT;
        get.token = first;
        if (bo_call_batched(s, "GetToken", &get.base, &out, &st) != BO_OK) {
            caller_fail(c, st.message, round);
            continue;
        }
        t = ((Boxoffice__V1__GetTokenReply *)out)->token;
        if (t == NULL || t->user_id != user || t->concert_id != concert) {
            caller_fail(c, "the status read is not of this caller's token", round);
        }
        protobuf_c_message_free_unpacked(out, NULL);
    }
    bo_session_close(s);
    return NULL;
}

START_TEST(concurrent_batched_calls_each_get_their_own_answer)
{
    pthread_t threads[CALLERS];
    struct caller callers[CALLERS];
    pthread_barrier_t start;
    long long issued_before = metric_sum(ISSUED_OK), batches_before = metric_sum(BATCHES_OK);
    int issued = 0;

    ck_assert_int_eq(pthread_barrier_init(&start, NULL, CALLERS), 0);
    for (int i = 0; i < CALLERS; i++) {
        callers[i] = (struct caller){.index = i, .start = &start, .kind = i % 10 == 3 ? 1 : 0};
        if (i % 10 == 7) {
            callers[i].kind = 2;
        }
        ck_assert_int_eq(pthread_create(&threads[i], NULL, caller_main, &callers[i]), 0);
    }
    for (int i = 0; i < CALLERS; i++) {
        pthread_join(threads[i], NULL);
    }
    pthread_barrier_destroy(&start);
    for (int i = 0; i < CALLERS; i++) {
        ck_assert_msg(callers[i].failures == 0, "%d wrong answers, first: %s", callers[i].failures,
                      callers[i].why);
        issued += callers[i].issued;
    }
    ck_assert_int_eq(issued, (CALLERS - CALLERS / 10 * 2) * ROUNDS);
    /* Each call served exactly once, and the calls shared batches: fewer Batches than calls. */
    ck_assert_int_eq(metric_sum(ISSUED_OK) - issued_before, issued);
    long long batches = metric_sum(BATCHES_OK) - batches_before;
    ck_assert_int_gt(batches, 0);
    /* Every call was batched: a good caller's issue and status read each round, a refused
     * caller's issue alone. One Batch per call would be exactly this many. */
    long long calls = 2LL * issued + (long long)(CALLERS / 10 * 2) * ROUNDS;
    ck_assert_msg(batches < calls, "%lld Batches for %lld calls: none shared", batches, calls);
}
END_TEST

/* pack_call packs a call of method with in by proof (NULL: none) as request id. */
static ProtobufCBinaryData pack_call(const char *method, const ProtobufCMessage *in,
                                     const char *proof, uint64_t id)
{
    struct bo_caller who = {proof != NULL ? proof : "", ""};
    uint32_t index;
    nng_msg *m = NULL;
    ProtobufCBinaryData b;

    ck_assert_int_eq(bo_method_index(method, &index), BO_OK);
    ck_assert_int_eq(bo_envelope_request_encode(index, id, &who, in, &m), BO_OK);
    b.len = nng_msg_len(m);
    b.data = malloc(b.len);
    ck_assert_ptr_nonnull(b.data);
    memcpy(b.data, nng_msg_body(m), b.len);
    nng_msg_free(m);
    return b;
}

/* reply_decode decodes reply as the answer to id of method: its code, the message into msg,
 * the answer into *keep when BO_OK and keep is not NULL (caller frees), else freed. */
static int reply_decode(const ProtobufCBinaryData *reply, const char *method, uint64_t id,
                        char *msg, size_t msglen, ProtobufCMessage **keep)
{
    uint32_t index;
    ProtobufCMessage *out = NULL;
    struct bo_envelope_failure why;

    ck_assert_int_eq(bo_method_index(method, &index), BO_OK);
    int rc = bo_envelope_reply_decode(reply->data, reply->len, id,
                                      bo_service_descriptor()->methods[index].output, &out, &why);
    snprintf(msg, msglen, "%s", why.message);
    if (keep != NULL && out != NULL) {
        *keep = out;
    } else if (out != NULL) {
        protobuf_c_message_free_unpacked(out, NULL);
    }
    return rc;
}

/* reply_code decodes reply as the answer to id of method: its code, message into msg. */
static int reply_code(const ProtobufCBinaryData *reply, const char *method, uint64_t id, char *msg,
                      size_t msglen)
{
    return reply_decode(reply, method, id, msg, msglen, NULL);
}

START_TEST(batch_answers_each_call_in_order)
{
    Boxoffice__V1__PingRequest ping = BOXOFFICE__V1__PING_REQUEST__INIT;
    Boxoffice__V1__IssueTokenRequest issue = BOXOFFICE__V1__ISSUE_TOKEN_REQUEST__INIT;
    Boxoffice__V1__BatchRequest inner = BOXOFFICE__V1__BATCH_REQUEST__INIT;
    Boxoffice__V1__BatchRequest req = BOXOFFICE__V1__BATCH_REQUEST__INIT;
    ProtobufCBinaryData calls[5];
    ProtobufCMessage *out = NULL;
    struct bo_session *s = NULL;
    struct bo_status st;
    char jwt[512], msg[256];

    ck_assert_int_eq(testenv_jwt(&env, 31500, 0, jwt, sizeof(jwt)), 0);
    issue.user_id = 31500;
    issue.concert_id = 2;
    calls[0] = pack_call("Ping", &ping.base, NULL, 11);
    calls[1].data = malloc(4);
    memcpy(calls[1].data, "\xff\xff\xff\xff", 4);
    calls[1].len = 4;
    calls[2] = pack_call("IssueToken", &issue.base, "forged.proof.text", 13);
    inner.requests = &calls[0];
    inner.n_requests = 1;
    calls[3] = pack_call("Batch", &inner.base, NULL, 14);
    calls[4] = pack_call("IssueToken", &issue.base, jwt, 15);
    req.requests = calls;
    req.n_requests = 5;
    ck_assert_int_eq(bo_session_open(client, &s), BO_OK);
    ck_assert_int_eq(bo_call(s, "Batch", &req.base, &out, &st), BO_OK);
    Boxoffice__V1__BatchReply *rep = (Boxoffice__V1__BatchReply *)out;
    ck_assert_uint_eq(rep->n_replies, 5);
    ck_assert_int_eq(reply_code(&rep->replies[0], "Ping", 11, msg, sizeof(msg)), BO_OK);
    ck_assert_int_eq(reply_code(&rep->replies[1], "Ping", 0, msg, sizeof(msg)),
                     BO_E_MALFORMED_REQUEST);
    ck_assert_int_eq(reply_code(&rep->replies[2], "IssueToken", 13, msg, sizeof(msg)),
                     BO_E_SESSION_INVALID);
    ck_assert_int_eq(reply_code(&rep->replies[3], "Batch", 14, msg, sizeof(msg)),
                     BO_E_INVALID_ARGUMENT);
    ck_assert_msg(strstr(msg, "another Batch") != NULL, "%s", msg);
    ck_assert_int_eq(reply_code(&rep->replies[4], "IssueToken", 15, msg, sizeof(msg)), BO_OK);
    protobuf_c_message_free_unpacked(out, NULL);

    /* Past the most calls a Batch carries: refused whole, with the limit named. */
    ProtobufCBinaryData *many = calloc(257, sizeof(*many));
    ck_assert_ptr_nonnull(many);
    for (int i = 0; i < 257; i++) {
        many[i] = calls[0];
    }
    req.requests = many;
    req.n_requests = 257;
    ck_assert_int_eq(bo_call(s, "Batch", &req.base, &out, &st), BO_E_INVALID_ARGUMENT);
    ck_assert_msg(strstr(st.message, "256") != NULL, "%s", st.message);
    free(many);
    for (int i = 0; i < 5; i++) {
        free(calls[i].data);
    }
    bo_session_close(s);
}
END_TEST

/* reply_issue decodes reply as the IssueToken answer to id: its code; *created and the token's
 * sequence when it is BO_OK. */
static int reply_issue(const ProtobufCBinaryData *reply, uint64_t id, int *created,
                       uint64_t *sequence)
{
    ProtobufCMessage *out = NULL;
    char msg[256];
    int rc = reply_decode(reply, "IssueToken", id, msg, sizeof(msg), &out);

    if (rc == BO_OK) {
        const Boxoffice__V1__IssueTokenReply *r = (const Boxoffice__V1__IssueTokenReply *)out;
        ck_assert_ptr_nonnull(r->token);
        *created = r->created;
        *sequence = r->token->sequence;
        protobuf_c_message_free_unpacked(out, NULL);
    }
    return rc;
}

/* Token issues of a Batch go to Redis together, but a call of another kind between them keeps
 * its place: an issue behind a leave sees the leave done (a new token), though an issue before
 * the leave went to Redis first. */
START_TEST(a_call_of_another_kind_keeps_its_place)
{
    Boxoffice__V1__IssueTokenRequest issue = BOXOFFICE__V1__ISSUE_TOKEN_REQUEST__INIT;
    Boxoffice__V1__LeaveQueueRequest leave = BOXOFFICE__V1__LEAVE_QUEUE_REQUEST__INIT;
    Boxoffice__V1__BatchRequest req = BOXOFFICE__V1__BATCH_REQUEST__INIT;
    ProtobufCBinaryData calls[3];
    ProtobufCMessage *out = NULL;
    struct bo_session *s = NULL;
    struct bo_status st;
    char jwt[512], other[512], token[200], msg[256];
    uint64_t first_seq, seq = 0, other_seq = 0;
    int created = -1;

    ck_assert_int_eq(testenv_jwt(&env, 33001, 0, jwt, sizeof(jwt)), 0);
    ck_assert_int_eq(testenv_jwt(&env, 33002, 0, other, sizeof(other)), 0);
    ck_assert_int_eq(bo_session_open(client, &s), BO_OK);
    ck_assert_int_eq(bo_session_set_caller(s, jwt, NULL), BO_OK);
    issue.user_id = 33001;
    issue.concert_id = 3;
    ck_assert_int_eq(bo_call(s, "IssueToken", &issue.base, &out, &st), BO_OK);
    snprintf(token, sizeof(token), "%s", ((Boxoffice__V1__IssueTokenReply *)out)->token->token);
    first_seq = ((Boxoffice__V1__IssueTokenReply *)out)->token->sequence;
    protobuf_c_message_free_unpacked(out, NULL);
    ck_assert_int_eq(bo_session_set_caller(s, NULL, NULL), BO_OK);

    /* Another user's issue, 33001's leave, 33001's issue again. */
    Boxoffice__V1__IssueTokenRequest issue2 = issue;
    issue2.user_id = 33002;
    leave.token = token;
    calls[0] = pack_call("IssueToken", &issue2.base, other, 21);
    calls[1] = pack_call("LeaveQueue", &leave.base, jwt, 22);
    calls[2] = pack_call("IssueToken", &issue.base, jwt, 23);
    req.requests = calls;
    req.n_requests = 3;
    ck_assert_int_eq(bo_call(s, "Batch", &req.base, &out, &st), BO_OK);
    Boxoffice__V1__BatchReply *rep = (Boxoffice__V1__BatchReply *)out;
    ck_assert_uint_eq(rep->n_replies, 3);
    ck_assert_int_eq(reply_issue(&rep->replies[0], 21, &created, &other_seq), BO_OK);
    ck_assert_int_eq(created, 1);
    ck_assert_int_eq(reply_code(&rep->replies[1], "LeaveQueue", 22, msg, sizeof(msg)), BO_OK);
    ck_assert_int_eq(reply_issue(&rep->replies[2], 23, &created, &seq), BO_OK);
    ck_assert_msg(created == 1 && seq != first_seq,
                  "the issue behind the leave got the token it ended (created %d, sequence %llu)",
                  created, (unsigned long long)seq);
    ck_assert_uint_gt(seq, other_seq); /* and it came after the first issue */
    protobuf_c_message_free_unpacked(out, NULL);
    for (int i = 0; i < 3; i++) {
        free(calls[i].data);
    }
    bo_session_close(s);
}
END_TEST

#define GETS_OK "boxoffice_rpc_requests_total{method=\"GetToken\",code=\"OK\"}"

enum { MANY_CALLS = 100, MANY_FIRST_USER = 32001 };

/* One thread's many calls in Batches of their own: each answered as if alone, in order, a bad
 * one failing by itself, far fewer round trips than calls. */
START_TEST(many_calls_of_one_thread_share_batches)
{
    static char tokens[MANY_CALLS][200];
    Boxoffice__V1__GetTokenRequest gets[MANY_CALLS];
    const ProtobufCMessage *ins[MANY_CALLS];
    ProtobufCMessage *outs[MANY_CALLS];
    uint64_t users[MANY_CALLS];
    int rcs[MANY_CALLS];
    struct bo_session *s = NULL;
    struct bo_status st;
    char jwt[512];

    ck_assert_int_eq(bo_session_open(client, &s), BO_OK);
    for (int i = 0; i < MANY_CALLS; i++) {
        Boxoffice__V1__IssueTokenRequest issue = BOXOFFICE__V1__ISSUE_TOKEN_REQUEST__INIT;
        ProtobufCMessage *out = NULL;
        users[i] = MANY_FIRST_USER + (uint64_t)i;
        ck_assert_int_eq(testenv_jwt(&env, users[i], 0, jwt, sizeof(jwt)), 0);
        ck_assert_int_eq(bo_session_set_caller(s, jwt, NULL), BO_OK);
        issue.user_id = users[i];
        issue.concert_id = 1;
        ck_assert_int_eq(bo_call(s, "IssueToken", &issue.base, &out, &st), BO_OK);
        snprintf(tokens[i], sizeof(tokens[i]), "%s",
                 ((Boxoffice__V1__IssueTokenReply *)out)->token->token);
        protobuf_c_message_free_unpacked(out, NULL);
    }
    ck_assert_int_eq(bo_session_set_caller(s, NULL, NULL), BO_OK);
    /* Call 37 carries a token that is not one. */
    snprintf(tokens[37], sizeof(tokens[37]), "%s", "not-a-token");
    for (int i = 0; i < MANY_CALLS; i++) {
        gets[i] = (Boxoffice__V1__GetTokenRequest)BOXOFFICE__V1__GET_TOKEN_REQUEST__INIT;
        gets[i].token = tokens[i];
        ins[i] = &gets[i].base;
    }
    long long gets_before = metric_sum(GETS_OK), batches_before = metric_sum(BATCHES_OK);
    ck_assert_int_eq(bo_call_many(s, "GetToken", MANY_CALLS, ins, outs, rcs), BO_OK);
    for (int i = 0; i < MANY_CALLS; i++) {
        if (i == 37) {
            ck_assert_int_eq(rcs[i], BO_E_TOKEN_INVALID);
            ck_assert_ptr_null(outs[i]);
            continue;
        }
        ck_assert_msg(rcs[i] == BO_OK, "call %d: %s", i, bo_error_name(rcs[i]));
        const Boxoffice__V1__Token *t = ((Boxoffice__V1__GetTokenReply *)outs[i])->token;
        ck_assert_ptr_nonnull(t);
        ck_assert_msg(t->user_id == users[i] && strcmp(t->token, tokens[i]) == 0,
                      "call %d answered with another call's token", i);
        protobuf_c_message_free_unpacked(outs[i], NULL);
    }
    ck_assert_int_eq(metric_sum(GETS_OK) - gets_before, MANY_CALLS - 1);
    /* 100 calls, 48 to a Batch: 3 round trips. */
    ck_assert_int_eq(metric_sum(BATCHES_OK) - batches_before, 3);

    /* A Batch does not travel in a Batch; an unknown method makes no call. */
    ck_assert_int_eq(bo_call_many(s, "Batch", 1, ins, outs, rcs), BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(bo_call_many(s, "NoSuchMethod", 1, ins, outs, rcs), BO_E_UNKNOWN_METHOD);
    bo_session_close(s);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {
        concurrent_batched_calls_each_get_their_own_answer, batch_answers_each_call_in_order,
        a_call_of_another_kind_keeps_its_place, many_calls_of_one_thread_share_batches, NULL};
    const struct support_case cases[] = {
        {"batch", tests, suite_setup, suite_teardown, NULL, NULL, 120}};

    /* nng refuses to run in a child forked after the parent used it (the fixture did). */
    return SUPPORT_RUN("batch", cases, SUPPORT_NOFORK | SUPPORT_VERBOSE);
}
