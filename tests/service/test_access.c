/*
 * Integration suite of who may do what over NNG (issue 8): proofs of identity on every
 * user-scoped rpc, accounts and sessions across instances, just-in-time users, the fair
 * opening of a sale, leaving the line, the fixed ACTIVE window and the rate limits. Two
 * instances against one throwaway PostgreSQL and Redis (seeded: users 1..100000 with the
 * password "demo"), driven through libboxoffice; every test uses users of its own.
 */
#include "bo_error.h"
#include "bo_time.h"
#include "boxoffice/client.h"
#include "support.h"
#include "testenv.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct testenv env;
static struct bo_client *both;    /* dials both instances */
static struct bo_client *only[2]; /* dials instance i alone */
static struct bo_session *sess;   /* on both, per test */
static struct bo_session *on[2];  /* on only[i], per test */

static void suite_setup(void)
{
    testenv_up(&env, TESTENV_SEED, 2, NULL);
    ck_assert_int_eq(bo_client_open(env.rpc_urls, 10000, &both), BO_OK);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(bo_client_open(env.rpc_url[i], 10000, &only[i]), BO_OK);
    }
}

static void suite_teardown(void)
{
    /* Servers first: a client without live connections closes clear of nng#1543. */
    testenv_stop(&env);
    bo_client_close(only[0]);
    bo_client_close(only[1]);
    bo_client_close(both);
}

static void test_setup(void)
{
    ck_assert_int_eq(bo_session_open(both, &sess), BO_OK);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(bo_session_open(only[i], &on[i]), BO_OK);
    }
}

static void test_teardown(void)
{
    bo_session_close(sess);
    bo_session_close(on[0]);
    bo_session_close(on[1]);
}

/* ---- calls ----------------------------------------------------------------------------- */

/* as_user makes s's calls as user, proven by an operator identity token expiring at exp_unix
 * (0: in an hour). */
static void as_user_until(struct bo_session *s, uint64_t user, int64_t exp_unix)
{
    char jwt[512];

    ck_assert_int_eq(testenv_jwt(&env, user, exp_unix, jwt, sizeof(jwt)), 0);
    ck_assert_int_eq(bo_session_set_caller(s, jwt, NULL), BO_OK);
}

static void as_user(struct bo_session *s, uint64_t user)
{
    as_user_until(s, user, 0);
}

/* call makes one rpc; the reply, when wanted and OK, is left in *out (caller frees). */
static int call(struct bo_session *s, const char *method, const ProtobufCMessage *in,
                ProtobufCMessage **out, struct bo_status *st)
{
    ProtobufCMessage *rep = NULL;
    int rc = bo_call(s, method, in, &rep, st);

    if (rc == BO_OK && out != NULL) {
        *out = rep;
    } else if (rc == BO_OK) {
        protobuf_c_message_free_unpacked(rep, NULL);
    }
    return rc;
}

/* issue issues a token of concert to the caller of s; the reply in *out when not NULL. */
static int issue(struct bo_session *s, uint64_t named_user, uint64_t concert,
                 Boxoffice__V1__IssueTokenReply **out)
{
    Boxoffice__V1__IssueTokenRequest req = BOXOFFICE__V1__ISSUE_TOKEN_REQUEST__INIT;

    req.user_id = named_user;
    req.concert_id = concert;
    return call(s, "IssueToken", &req.base, (ProtobufCMessage **)out, NULL);
}

static int token_get(struct bo_session *s, const char *text, Boxoffice__V1__GetTokenReply **out)
{
    Boxoffice__V1__GetTokenRequest req = BOXOFFICE__V1__GET_TOKEN_REQUEST__INIT;

    req.token = (char *)text;
    return call(s, "GetToken", &req.base, (ProtobufCMessage **)out, NULL);
}

static int balance(struct bo_session *s, uint64_t user, int64_t *out)
{
    Boxoffice__V1__GetBalanceRequest req = BOXOFFICE__V1__GET_BALANCE_REQUEST__INIT;
    ProtobufCMessage *rep = NULL;
    int rc;

    req.user_id = user;
    if ((rc = call(s, "GetBalance", &req.base, &rep, NULL)) == BO_OK) {
        if (out != NULL) {
            *out = ((Boxoffice__V1__GetBalanceReply *)rep)->balance;
        }
        protobuf_c_message_free_unpacked(rep, NULL);
    }
    return rc;
}

static int hold(struct bo_session *s, const char *token, uint64_t schedule, uint32_t seat)
{
    Boxoffice__V1__HoldSeatRequest req = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;

    req.token = (char *)token;
    req.schedule_id = schedule;
    req.seat_no = seat;
    return call(s, "HoldSeat", &req.base, NULL, NULL);
}

static int leave(struct bo_session *s, const char *token)
{
    Boxoffice__V1__LeaveQueueRequest req = BOXOFFICE__V1__LEAVE_QUEUE_REQUEST__INIT;

    req.token = (char *)token;
    return call(s, "LeaveQueue", &req.base, NULL, NULL);
}

/* login logs user in with password on s; the session text into session when OK. */
static int login(struct bo_session *s, uint64_t user, const char *password, char *session,
                 size_t len)
{
    Boxoffice__V1__LoginRequest req = BOXOFFICE__V1__LOGIN_REQUEST__INIT;
    ProtobufCMessage *rep = NULL;
    int rc;

    req.user_id = user;
    req.password = (char *)password;
    if ((rc = call(s, "Login", &req.base, &rep, NULL)) == BO_OK) {
        Boxoffice__V1__LoginReply *r = (Boxoffice__V1__LoginReply *)rep;
        ck_assert_uint_eq(r->user_id, user);
        ck_assert_int_gt(r->expires_at_ms, bo_time_now_ms());
        ck_assert_uint_lt(strlen(r->session), len);
        snprintf(session, len, "%s", r->session);
        protobuf_c_message_free_unpacked(rep, NULL);
    }
    return rc;
}

/* new_concert creates a concert whose sale opens at opens_ms (0: open). */
static uint64_t new_concert(const char *title, int64_t opens_ms)
{
    Boxoffice__V1__CreateConcertRequest req = BOXOFFICE__V1__CREATE_CONCERT_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    struct bo_status st;
    uint64_t id;

    req.admin_key = env.admin_key;
    req.title = (char *)title;
    req.sale_opens_at_ms = opens_ms;
    ck_assert_msg(call(sess, "CreateConcert", &req.base, &out, &st) == BO_OK, "create: %s",
                  st.message);
    id = ((Boxoffice__V1__CreateConcertReply *)out)->concert->id;
    ck_assert_int_eq(((Boxoffice__V1__CreateConcertReply *)out)->concert->sale_opens_at_ms,
                     opens_ms);
    protobuf_c_message_free_unpacked(out, NULL);
    return id;
}

/* set_limit sets the rate limit whose bit in SetLimitsRequest.fields_set is bit. */
static void set_limit(uint32_t bit, uint32_t per_minute)
{
    Boxoffice__V1__SetLimitsRequest req = BOXOFFICE__V1__SET_LIMITS_REQUEST__INIT;
    Boxoffice__V1__Limits l = BOXOFFICE__V1__LIMITS__INIT;
    ProtobufCMessage *out = NULL;

    l.user_logins_per_minute = per_minute;
    l.user_token_issues_per_minute = per_minute;
    req.admin_key = env.admin_key;
    req.limits = &l;
    req.fields_set = bit;
    ck_assert_int_eq(call(sess, "SetLimits", &req.base, &out, NULL), BO_OK);
    protobuf_c_message_free_unpacked(out, NULL);
}

/* ---- identity -------------------------------------------------------------------------- */

/* Every rpc made for a user refuses a call without a proof, before looking at the request. */
static const char *const user_rpcs[] = {"IssueToken", "LeaveQueue", "HoldSeat",     "ReleaseHold",
                                        "Pay",        "GetBalance", "ChargePoints", "Logout"};

static void check_needs_proof(const char *const *method)
{
    const ProtobufCMethodDescriptor *m = protobuf_c_service_descriptor_get_method_by_name(
        &boxoffice__v1__boxoffice__descriptor, *method);
    union {
        ProtobufCMessage base;
        max_align_t align;
        unsigned char bytes[512];
    } req;
    struct bo_status st;

    ck_assert_ptr_nonnull(m);
    ck_assert_uint_le(m->input->sizeof_message, sizeof(req));
    protobuf_c_message_init(m->input, &req);
    ck_assert_int_eq(bo_session_set_caller(sess, NULL, NULL), BO_OK);
    ck_assert_msg(call(sess, *method, &req.base, NULL, &st) == BO_E_SESSION_MISSING,
                  "%s without a proof: %s", *method, bo_error_name(st.code));
}

SUPPORT_TABLE_TEST(user_rpcs_need_a_proof, user_rpcs, check_needs_proof)

START_TEST(forged_expired_and_unpinned_proofs_refused)
{
    char jwt[512];
    struct testenv other = env;

    /* Signed with another key. */
    snprintf(other.jwt_secret, sizeof(other.jwt_secret), "%s", "another-key-another-key-01234567");
    ck_assert_int_eq(testenv_jwt(&other, 20001, 0, jwt, sizeof(jwt)), 0);
    ck_assert_int_eq(bo_session_set_caller(sess, jwt, NULL), BO_OK);
    ck_assert_int_eq(balance(sess, 20001, NULL), BO_E_SESSION_INVALID);
    /* alg none, whatever the claims say. */
    ck_assert_int_eq(bo_session_set_caller(sess,
                                           "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
                                           "eyJzdWIiOiIyMDAwMSIsImV4cCI6NDEwMjQ0NDgwMH0.",
                                           NULL),
                     BO_OK);
    ck_assert_int_eq(balance(sess, 20001, NULL), BO_E_SESSION_INVALID);
    ck_assert_int_eq(bo_session_set_caller(sess, "s1.20001.4102444800.x.y", NULL), BO_OK);
    ck_assert_int_eq(balance(sess, 20001, NULL), BO_E_SESSION_INVALID);
    /* Expired two minutes ago: past any leeway. Ten seconds ago: within it. */
    as_user_until(sess, 20001, (int64_t)time(NULL) - 120);
    ck_assert_int_eq(balance(sess, 20001, NULL), BO_E_SESSION_EXPIRED);
    as_user_until(sess, 20001, (int64_t)time(NULL) - 10);
    ck_assert_int_eq(balance(sess, 20001, NULL), BO_OK);
}
END_TEST

START_TEST(the_user_comes_from_the_proof)
{
    Boxoffice__V1__IssueTokenReply *t = NULL;
    char token_b[200];

    as_user(sess, 20102);
    ck_assert_int_eq(issue(sess, 0, 1, &t), BO_OK);
    ck_assert_uint_eq(t->token->user_id, 20102);
    snprintf(token_b, sizeof(token_b), "%s", t->token->token);
    protobuf_c_message_free_unpacked(&t->base, NULL);

    as_user(sess, 20101);
    ck_assert_int_eq(issue(sess, 20102, 1, NULL), BO_E_NOT_OWNER);
    ck_assert_int_eq(balance(sess, 20102, NULL), BO_E_NOT_OWNER);
    ck_assert_int_eq(balance(sess, 0, NULL), BO_OK); /* names none: the caller's own */
    /* B's queue token in A's hands acts for nobody. */
    ck_assert_int_eq(hold(sess, token_b, 1, 3), BO_E_NOT_OWNER);
    ck_assert_int_eq(leave(sess, token_b), BO_E_NOT_OWNER);
}
END_TEST

/* ---- the ACTIVE window ---------------------------------------------------------------- */

struct active {
    const char *text;
    int64_t expires_at_ms;
};

static int token_is_active(void *arg)
{
    struct active *a = arg;
    Boxoffice__V1__GetTokenReply *g = NULL;
    int active;

    ck_assert_int_eq(token_get(sess, a->text, &g), BO_OK);
    active = g->token->status == BOXOFFICE__V1__TOKEN_STATUS__TOKEN_ACTIVE;
    a->expires_at_ms = g->token->expires_at_ms;
    protobuf_c_message_free_unpacked(&g->base, NULL);
    return active;
}

START_TEST(unknown_operator_user_is_made_on_first_use)
{
    Boxoffice__V1__IssueTokenReply *t = NULL;
    char text[200];
    struct active a = {text, 0};
    int64_t b = -1;

    ck_assert_int_eq(testenv_sql_i64(&env, "SELECT count(*) FROM users WHERE id = 4000001"), 0);
    as_user(sess, 4000001);
    ck_assert_int_eq(balance(sess, 0, &b), BO_OK);
    ck_assert_int_eq(b, 0);
    ck_assert_int_eq(testenv_sql_i64(&env, "SELECT count(*) FROM wallets WHERE user_id = 4000001"),
                     1);
    /* A place in line needs no row; the first hold makes it. */
    as_user(sess, 4000002);
    ck_assert_int_eq(issue(sess, 0, 2, &t), BO_OK);
    snprintf(text, sizeof(text), "%s", t->token->token);
    protobuf_c_message_free_unpacked(&t->base, NULL);
    SUPPORT_WAIT(token_is_active, &a, 10000, "not admitted within 10 s");
    ck_assert_int_eq(hold(sess, text, 7, 20), BO_OK);
    ck_assert_int_eq(testenv_sql_i64(&env, "SELECT count(*) FROM reservations r JOIN users u ON "
                                           "u.id = r.user_id WHERE u.id = 4000002"),
                     1);
}
END_TEST

START_TEST(login_and_logout_hold_on_every_instance)
{
    Boxoffice__V1__LogoutRequest out = BOXOFFICE__V1__LOGOUT_REQUEST__INIT;
    char session[256];
    int64_t b = -1;

    ck_assert_int_eq(login(on[0], 20201, "wrong password", session, sizeof(session)),
                     BO_E_LOGIN_FAILED);
    ck_assert_int_eq(login(on[0], 99999999, "demo", session, sizeof(session)), BO_E_LOGIN_FAILED);
    {
        char long_pw[200];
        Boxoffice__V1__LoginRequest req = BOXOFFICE__V1__LOGIN_REQUEST__INIT;
        struct bo_status st;

        memset(long_pw, 'p', sizeof(long_pw) - 1);
        long_pw[sizeof(long_pw) - 1] = '\0';
        req.user_id = 20201;
        req.password = long_pw;
        ck_assert_int_eq(call(on[0], "Login", &req.base, NULL, &st), BO_E_INVALID_ARGUMENT);
        ck_assert_ptr_nonnull(strstr(st.message, "at most 128 bytes"));
    }
    ck_assert_int_eq(login(on[0], 20201, "demo", session, sizeof(session)), BO_OK);
    /* The session made on instance 0 works on instance 1 ... */
    ck_assert_int_eq(bo_session_set_caller(on[1], session, NULL), BO_OK);
    ck_assert_int_eq(balance(on[1], 0, &b), BO_OK);
    ck_assert_int_eq(b, 0);
    /* ... until it is logged out on instance 0: then neither takes it. */
    ck_assert_int_eq(bo_session_set_caller(on[0], session, NULL), BO_OK);
    ck_assert_int_eq(call(on[0], "Logout", &out.base, NULL, NULL), BO_OK);
    ck_assert_int_eq(balance(on[1], 0, NULL), BO_E_SESSION_EXPIRED);
    ck_assert_int_eq(balance(on[0], 0, NULL), BO_E_SESSION_EXPIRED);
}
END_TEST

START_TEST(sign_up_then_log_in)
{
    Boxoffice__V1__CreateAccountRequest req = BOXOFFICE__V1__CREATE_ACCOUNT_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    struct bo_status st;
    char session[256];
    uint64_t id;

    req.name = "Ann Example";
    req.password = "short";
    ck_assert_int_eq(call(sess, "CreateAccount", &req.base, NULL, &st), BO_E_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(st.message, "password"));
    req.password = "correct horse battery";
    ck_assert_int_eq(call(sess, "CreateAccount", &req.base, &out, &st), BO_OK);
    id = ((Boxoffice__V1__CreateAccountReply *)out)->user_id;
    ck_assert_str_eq(((Boxoffice__V1__CreateAccountReply *)out)->name, "Ann Example");
    protobuf_c_message_free_unpacked(out, NULL);
    ck_assert_uint_gt(id, 100000); /* past the seeded users */
    ck_assert_int_eq(testenv_sql_i64(&env,
                                     "SELECT count(*) FROM users WHERE id = %llu AND "
                                     "password_hash LIKE '$argon2id$v=19$m=19456,t=2,%%'",
                                     (unsigned long long)id),
                     1);
    ck_assert_int_eq(login(sess, id, "correct horse battery", session, sizeof(session)), BO_OK);
    ck_assert_int_eq(bo_session_set_caller(sess, session, NULL), BO_OK);
    ck_assert_int_eq(issue(sess, 0, 1, NULL), BO_OK);
}
END_TEST

/* ---- the opening of a sale ------------------------------------------------------------ */

#define OPENING_LINE 40

struct opening {
    uint64_t concert;
    char text[OPENING_LINE][200];
    uint64_t admission_no[OPENING_LINE];
};

/* line_admitted holds once every token of the line is ACTIVE, noting admission numbers. */
static int line_admitted(void *arg)
{
    struct opening *o = arg;
    int done = 1;

    for (int i = 0; i < OPENING_LINE; i++) {
        Boxoffice__V1__GetTokenReply *r = NULL;
        if (o->admission_no[i] != 0) {
            continue;
        }
        ck_assert_int_eq(token_get(sess, o->text[i], &r), BO_OK);
        ck_assert_int_ne(r->token->status, BOXOFFICE__V1__TOKEN_STATUS__TOKEN_EXPIRED);
        o->admission_no[i] = r->token->admission_no;
        done &= o->admission_no[i] != 0;
        protobuf_c_message_free_unpacked(&r->base, NULL);
    }
    return done;
}

START_TEST(joiners_before_the_opening_are_drawn_in_random_order)
{
    static struct opening o;
    Boxoffice__V1__IssueTokenReply *t = NULL;
    int64_t opens = bo_time_now_ms() + 2500;
    int seen[OPENING_LINE + 1] = {0};
    int in_join_order = 1;

    memset(&o, 0, sizeof(o));
    o.concert = new_concert("Opening draw", opens);
    for (int i = 0; i < OPENING_LINE; i++) {
        as_user(sess, 21001 + (uint64_t)i);
        ck_assert_int_eq(issue(sess, 0, o.concert, &t), BO_OK);
        /* Before the opening: waiting for it, no place yet. */
        ck_assert_int_eq(t->token->status, BOXOFFICE__V1__TOKEN_STATUS__TOKEN_WAITING);
        ck_assert_int_eq(t->token->sale_opens_at_ms, opens);
        ck_assert_uint_eq(t->token->position, 0);
        snprintf(o.text[i], sizeof(o.text[i]), "%s", t->token->token);
        protobuf_c_message_free_unpacked(&t->base, NULL);
    }
    ck_assert_int_lt(bo_time_now_ms(), opens); /* else the line formed too slowly to test */
    SUPPORT_WAIT(line_admitted, &o, 20000, "the line was not all admitted within 20 s");
    for (int i = 0; i < OPENING_LINE; i++) {
        ck_assert_uint_ge(o.admission_no[i], 1);
        ck_assert_uint_le(o.admission_no[i], OPENING_LINE);
        ck_assert_msg(!seen[o.admission_no[i]], "admission %llu twice",
                      (unsigned long long)o.admission_no[i]);
        seen[o.admission_no[i]] = 1;
        in_join_order &= o.admission_no[i] == (uint64_t)i + 1;
    }
    /* A permutation of the joiners, not the join order (1 chance in 40! to fail by luck). */
    ck_assert_msg(!in_join_order, "the line was admitted in join order");
    /* Whoever joins after the opening goes to the end. */
    as_user(sess, 21001 + OPENING_LINE);
    ck_assert_int_eq(issue(sess, 0, o.concert, &t), BO_OK);
    ck_assert_int_eq(t->token->sale_opens_at_ms, 0);
    protobuf_c_message_free_unpacked(&t->base, NULL);
}
END_TEST

START_TEST(leaving_ends_the_token)
{
    Boxoffice__V1__IssueTokenReply *t = NULL;
    Boxoffice__V1__GetTokenReply *g = NULL;
    uint64_t later = new_concert("Not yet", bo_time_now_ms() + 3600 * 1000);
    char text[200];

    as_user(sess, 22001);
    ck_assert_int_eq(issue(sess, 0, later, &t), BO_OK);
    snprintf(text, sizeof(text), "%s", t->token->token);
    protobuf_c_message_free_unpacked(&t->base, NULL);
    ck_assert_int_eq(leave(sess, text), BO_OK);
    ck_assert_int_eq(token_get(sess, text, &g), BO_OK);
    ck_assert_int_eq(g->token->status, BOXOFFICE__V1__TOKEN_STATUS__TOKEN_EXPIRED);
    protobuf_c_message_free_unpacked(&g->base, NULL);
    ck_assert_int_eq(leave(sess, text), BO_E_TOKEN_EXPIRED);
    /* Joining again gives a new place. */
    ck_assert_int_eq(issue(sess, 0, later, &t), BO_OK);
    ck_assert_int_eq(t->created, 1);
    protobuf_c_message_free_unpacked(&t->base, NULL);
}
END_TEST

START_TEST(reads_and_acts_do_not_extend_the_window)
{
    Boxoffice__V1__IssueTokenReply *t = NULL;
    Boxoffice__V1__ListSeatsRequest seats = BOXOFFICE__V1__LIST_SEATS_REQUEST__INIT;
    char text[200];
    struct active a = {text, 0};
    int64_t first;

    as_user(sess, 23001);
    ck_assert_int_eq(issue(sess, 0, 2, &t), BO_OK);
    snprintf(text, sizeof(text), "%s", t->token->token);
    protobuf_c_message_free_unpacked(&t->base, NULL);
    SUPPORT_WAIT(token_is_active, &a, 10000, "not admitted within 10 s");
    first = a.expires_at_ms;
    seats.token = text;
    seats.schedule_id = 6;
    ck_assert_int_eq(call(sess, "ListSeats", &seats.base, NULL, NULL), BO_OK);
    ck_assert_int_eq(hold(sess, text, 6, 44), BO_OK);
    ck_assert_int_eq(token_is_active(&a), 1);
    ck_assert_int_eq(a.expires_at_ms, first);
    ck_assert_int_eq(leave(sess, text), BO_OK); /* ends the ACTIVE window early */
    ck_assert_int_eq(hold(sess, text, 6, 45), BO_E_TOKEN_EXPIRED);
}
END_TEST

/* ---- rate limits ---------------------------------------------------------------------- */

struct limited {
    uint64_t user;
    struct bo_status st;
};

/* issue_refused issues again until the limit refuses it. */
static int issue_refused(void *arg)
{
    struct limited *l = arg;
    Boxoffice__V1__IssueTokenRequest req = BOXOFFICE__V1__ISSUE_TOKEN_REQUEST__INIT;

    as_user(sess, l->user);
    req.concert_id = 1;
    return call(sess, "IssueToken", &req.base, NULL, &l->st) == BO_E_RATE_LIMITED;
}

START_TEST(past_the_limit_is_refused_with_retry_after)
{
    struct limited l = {24001, {0}};

    set_limit(1u << 1, 3); /* user_token_issues_per_minute */
    SUPPORT_WAIT(issue_refused, &l, 10000, "no RATE_LIMITED within 10 s of a limit of 3");
    ck_assert_uint_ge(l.st.retry_after_seconds, 1);
    ck_assert_uint_le(l.st.retry_after_seconds, 60);
    /* Another user is counted on its own. */
    as_user(sess, 24002);
    ck_assert_int_eq(issue(sess, 0, 1, NULL), BO_OK);
    set_limit(1u << 1, 0);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {user_rpcs_need_a_proof,
                            forged_expired_and_unpinned_proofs_refused,
                            the_user_comes_from_the_proof,
                            unknown_operator_user_is_made_on_first_use,
                            login_and_logout_hold_on_every_instance,
                            sign_up_then_log_in,
                            joiners_before_the_opening_are_drawn_in_random_order,
                            leaving_ends_the_token,
                            reads_and_acts_do_not_extend_the_window,
                            past_the_limit_is_refused_with_retry_after,
                            NULL};
    const struct support_case cases[] = {
        {"access", tests, suite_setup, suite_teardown, test_setup, test_teardown, 120}};

    /* nng refuses to run in a child forked after the parent used it (the fixture did). */
    return SUPPORT_RUN("access", cases, SUPPORT_NOFORK | SUPPORT_VERBOSE);
}
