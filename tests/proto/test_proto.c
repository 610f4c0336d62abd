/* Unit suite for the shared runtime: error table, RFC 3339 time, config table, envelopes. */
#include "bo_config.h"
#include "bo_enum.h"
#include "bo_envelope.h"
#include "bo_error.h"
#include "bo_time.h"
#include "support.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

START_TEST(error_names_round_trip)
{
    for (int e = 0; e < BO_E_COUNT_; e++) {
        ck_assert_int_eq(bo_error_from_name(bo_error_name(e), bo_error_rpc_code(e)), e);
        ck_assert_ptr_nonnull(bo_error_message(e));
    }
    ck_assert_str_eq(bo_error_name(BO_E_SEAT_TAKEN), "SEAT_TAKEN");
    ck_assert_int_eq(bo_error_rpc_code(BO_E_SEAT_TAKEN), BO_RPC_ALREADY_EXISTS);
    ck_assert_int_eq(bo_error_rpc_code(BO_E_TOKEN_INVALID), BO_RPC_UNAUTHENTICATED);
    /* A name from a newer server falls back on its status code. */
    ck_assert_int_eq(bo_error_from_name("SOMETHING_NEW", BO_RPC_NOT_FOUND), BO_E_NOT_FOUND);
    ck_assert_str_eq(bo_error_name(9999), "INTERNAL");
}
END_TEST

START_TEST(time_format_and_parse)
{
    char buf[32];
    int64_t ms = 0;

    bo_time_format_ms(1798761600123LL, buf, sizeof(buf));
    ck_assert_str_eq(buf, "2027-01-01T00:00:00.123Z");
    ck_assert_int_eq(bo_time_parse_rfc3339("2027-01-01T00:00:00.123Z", &ms), BO_OK);
    ck_assert_int_eq(ms, 1798761600123LL);
    ck_assert_int_eq(bo_time_parse_rfc3339("2027-01-01T09:00:00+09:00", &ms), BO_OK);
    ck_assert_int_eq(ms, 1798761600000LL);
    ck_assert_int_eq(bo_time_parse_rfc3339("2027-01-01", &ms), BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(bo_time_parse_rfc3339("2027-13-01T00:00:00Z", &ms), BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(bo_time_parse_rfc3339("2027-01-01T00:00:00Zjunk", &ms), BO_E_INVALID_ARGUMENT);
    /* Days a month does not have, and offsets past a day. */
    ck_assert_int_eq(bo_time_parse_rfc3339("2030-02-30T00:00:00Z", &ms), BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(bo_time_parse_rfc3339("2027-02-29T00:00:00Z", &ms), BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(bo_time_parse_rfc3339("2027-04-31T00:00:00Z", &ms), BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(bo_time_parse_rfc3339("2027-01-01T00:00:00+24:00", &ms),
                     BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(bo_time_parse_rfc3339("2028-02-29T12:00:00Z", &ms), BO_OK);
    ck_assert_int_eq(ms, 1835438400000LL);
    ck_assert_int_eq(bo_time_parse_rfc3339("2000-02-29T00:00:00-01:30", &ms), BO_OK);
    ck_assert_int_eq(ms, 951782400000LL + 5400000LL);
}
END_TEST

/* The formatter against gmtime_r and snprintf, over dates from 1900 to 2200, both sides of every
 * leap rule, and before 1970. */
START_TEST(time_format_matches_gmtime)
{
    uint64_t x = 88172645463325252ULL; /* xorshift64: a fixed spread of instants */

    for (int i = 0; i < 200000; i++) {
        char got[32], want[96];
        int64_t ms;
        time_t secs;
        struct tm tm;
        int64_t back = 0;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        ms = (int64_t)(x % 9467280000000ULL) - 2208988800000LL; /* 1900 .. 2200 */
        secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
        gmtime_r(&secs, &tm);
        snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (int)(ms - (int64_t)secs * 1000));
        bo_time_format_ms(ms, got, sizeof(got));
        ck_assert_str_eq(got, want);
        ck_assert_int_eq(bo_time_parse_rfc3339(got, &back), BO_OK);
        ck_assert_int_eq(back, ms);
    }
}
END_TEST

struct test_cfg {
    char url[32];
    int64_t workers;
};

static const struct bo_option test_opts[] = {
    BO_OPT_STR("url", struct test_cfg, url, "tcp://x", "address"),
    BO_OPT_NUM("workers", struct test_cfg, workers, "4", 1, 64, "workers"),
};

START_TEST(config_precedence_and_errors)
{
    struct test_cfg cfg;
    char *rest[8], err[160];
    int nrest, help;
    char *argv1[] = {"prog", "--workers", "9", "extra", NULL};
    char *argv2[] = {"prog", "--workers=100", NULL};
    char *argv3[] = {"prog", "--nope=1", NULL};

    setenv("BOXOFFICE_URL", "ipc:///tmp/x", 1);
    setenv("BOXOFFICE_WORKERS", "5", 1);
    ck_assert_int_eq(
        bo_config_load(test_opts, 2, &cfg, 4, argv1, rest, &nrest, &help, err, sizeof(err)), BO_OK);
    ck_assert_str_eq(cfg.url, "ipc:///tmp/x"); /* environment over default */
    ck_assert_int_eq(cfg.workers, 9);          /* flag over environment */
    ck_assert_int_eq(nrest, 1);
    ck_assert_str_eq(rest[0], "extra");
    ck_assert_int_eq(
        bo_config_load(test_opts, 2, &cfg, 2, argv2, rest, &nrest, &help, err, sizeof(err)),
        BO_E_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err, "from 1 to 64"));
    ck_assert_int_eq(
        bo_config_load(test_opts, 2, &cfg, 2, argv3, rest, &nrest, &help, err, sizeof(err)),
        BO_E_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err, "--nope"));
    unsetenv("BOXOFFICE_URL");
    unsetenv("BOXOFFICE_WORKERS");
}
END_TEST

START_TEST(envelope_round_trip_and_errors)
{
    Boxoffice__V1__HoldSeatReply reply = BOXOFFICE__V1__HOLD_SEAT_REPLY__INIT;
    Boxoffice__V1__Reservation res = BOXOFFICE__V1__RESERVATION__INIT;
    ProtobufCMessage *out = NULL;
    nng_msg *msg = NULL;
    struct bo_envelope_failure why;
    uint32_t m;

    ck_assert_int_eq(bo_method_index("HoldSeat", &m), BO_OK);
    ck_assert_str_eq(bo_service_descriptor()->methods[m].name, "HoldSeat");
    ck_assert_int_eq(bo_method_index("NoSuch", &m), BO_E_UNKNOWN_METHOD);

    res.id = 42;
    res.seat_no = 7;
    reply.reservation = &res;
    ck_assert_int_eq(bo_envelope_reply_encode(5, BO_OK, NULL, &reply.base, &msg), BO_OK);
    ck_assert_int_eq(bo_envelope_reply_decode(nng_msg_body(msg), nng_msg_len(msg), 5,
                                              &boxoffice__v1__hold_seat_reply__descriptor, &out,
                                              NULL),
                     BO_OK);
    ck_assert_uint_eq(((Boxoffice__V1__HoldSeatReply *)out)->reservation->id, 42);
    protobuf_c_message_free_unpacked(out, NULL);
    /* A reply to another request id is not taken for this one. */
    ck_assert_int_ne(bo_envelope_reply_decode(nng_msg_body(msg), nng_msg_len(msg), 6,
                                              &boxoffice__v1__hold_seat_reply__descriptor, &out,
                                              &why),
                     BO_OK);
    nng_msg_free(msg);

    ck_assert_int_eq(bo_envelope_reply_encode(5, BO_E_SEAT_TAKEN, NULL, NULL, &msg), BO_OK);
    ck_assert_int_eq(bo_envelope_reply_decode(nng_msg_body(msg), nng_msg_len(msg), 5,
                                              &boxoffice__v1__hold_seat_reply__descriptor, &out,
                                              &why),
                     BO_E_SEAT_TAKEN);
    ck_assert_str_eq(why.message, bo_error_message(BO_E_SEAT_TAKEN));
    ck_assert_uint_eq(why.n_seat_nos, 0);
    nng_msg_free(msg);

    /* A hold refused names the seats that were taken, its own message with them. */
    struct bo_envelope_failure taken = {
        .message = "seats 3, 5 are already held or sold", .seat_nos = {3, 5}, .n_seat_nos = 2};
    ck_assert_int_eq(bo_envelope_reply_encode(5, BO_E_SEAT_TAKEN, &taken, NULL, &msg), BO_OK);
    ck_assert_int_eq(bo_envelope_reply_decode(nng_msg_body(msg), nng_msg_len(msg), 5,
                                              &boxoffice__v1__hold_seat_reply__descriptor, &out,
                                              &why),
                     BO_E_SEAT_TAKEN);
    ck_assert_str_eq(why.message, "seats 3, 5 are already held or sold");
    ck_assert_uint_eq(why.n_seat_nos, 2);
    ck_assert_uint_eq(why.seat_nos[0], 3);
    ck_assert_uint_eq(why.seat_nos[1], 5);
    nng_msg_free(msg);

    ck_assert_int_eq(bo_envelope_reply_decode("\xff\xff\xff", 3, 1,
                                              &boxoffice__v1__hold_seat_reply__descriptor, &out,
                                              &why),
                     BO_E_MALFORMED_REQUEST);
    ck_assert_str_eq(why.message, "the service sent a reply that could not be decoded");
}
END_TEST

START_TEST(envelope_carries_the_caller_and_retry_after)
{
    Boxoffice__V1__PingRequest ping = BOXOFFICE__V1__PING_REQUEST__INIT;
    Boxoffice__V1__RequestEnvelope *env;
    struct bo_caller caller = {"s1.5.1.abc.def", "10.0.0.7"};
    ProtobufCMessage *out = NULL;
    nng_msg *msg = NULL;
    struct bo_envelope_failure why;

    ck_assert_int_eq(bo_envelope_request_encode(0, 9, &caller, &ping.base, &msg), BO_OK);
    env = boxoffice__v1__request_envelope__unpack(NULL, nng_msg_len(msg), nng_msg_body(msg));
    ck_assert_ptr_nonnull(env);
    ck_assert_str_eq(env->proof, "s1.5.1.abc.def");
    ck_assert_str_eq(env->client_addr, "10.0.0.7");
    boxoffice__v1__request_envelope__free_unpacked(env, NULL);
    nng_msg_free(msg);

    struct bo_envelope_failure refused = {.retry_after = 17};
    ck_assert_int_eq(bo_envelope_reply_encode(9, BO_E_RATE_LIMITED, &refused, NULL, &msg), BO_OK);
    ck_assert_int_eq(bo_envelope_reply_decode(nng_msg_body(msg), nng_msg_len(msg), 9,
                                              &boxoffice__v1__ping_reply__descriptor, &out, &why),
                     BO_E_RATE_LIMITED);
    ck_assert_uint_eq(why.retry_after, 17);
    ck_assert_str_eq(why.message, bo_error_message(BO_E_RATE_LIMITED));
    ck_assert_int_eq(bo_error_rpc_code(BO_E_RATE_LIMITED), BO_RPC_RESOURCE_EXHAUSTED);
    ck_assert_int_eq(bo_error_rpc_code(BO_E_SESSION_MISSING), BO_RPC_UNAUTHENTICATED);
    nng_msg_free(msg);
}
END_TEST

START_TEST(enum_names_drop_their_prefix)
{
    ck_assert_str_eq(bo_enum_name(&boxoffice__v1__token_status__descriptor,
                                  BOXOFFICE__V1__TOKEN_STATUS__TOKEN_WAITING),
                     "WAITING");
    ck_assert_str_eq(bo_enum_name(&boxoffice__v1__seat_status__descriptor,
                                  BOXOFFICE__V1__SEAT_STATUS__SEAT_SOLD),
                     "SOLD");
    ck_assert_str_eq(bo_enum_name(&boxoffice__v1__reservation_status__descriptor,
                                  BOXOFFICE__V1__RESERVATION_STATUS__RESERVATION_CONFIRMED),
                     "CONFIRMED");
    ck_assert_str_eq(bo_enum_name(&boxoffice__v1__payment_status__descriptor,
                                  BOXOFFICE__V1__PAYMENT_STATUS__PAYMENT_COMPLETED),
                     "COMPLETED");
    ck_assert_str_eq(bo_enum_name(&boxoffice__v1__seat_status__descriptor, 0), "UNSPECIFIED");
    ck_assert_str_eq(bo_enum_name(&boxoffice__v1__seat_status__descriptor, 99), "UNSPECIFIED");
}
END_TEST

/* touch_of makes a TouchTokens request of one token text of len bytes (caller frees text). */
static Boxoffice__V1__TouchTokensRequest touch_of(size_t len, char **text)
{
    Boxoffice__V1__TouchTokensRequest req = BOXOFFICE__V1__TOUCH_TOKENS_REQUEST__INIT;

    *text = malloc(len + 1);
    ck_assert_ptr_nonnull(*text);
    memset(*text, 'a', len);
    (*text)[len] = '\0';
    req.tokens = text;
    req.n_tokens = 1;
    return req;
}

START_TEST(envelope_limit_is_the_whole_frame)
{
    struct bo_caller caller = {"s1.5.1.abc.def", "10.0.0.7"};
    nng_msg *msg = NULL;
    char *text;
    uint32_t m;

    ck_assert_int_eq(bo_method_index("TouchTokens", &m), BO_OK);
    /* A body within the limit whose frame is not: refused before it leaves. */
    Boxoffice__V1__TouchTokensRequest req = touch_of(BO_ENVELOPE_MAX_SIZE - 8, &text);
    ck_assert_uint_le(protobuf_c_message_get_packed_size(&req.base), BO_ENVELOPE_MAX_SIZE);
    ck_assert_int_eq(bo_envelope_request_encode(m, 1, &caller, &req.base, &msg), BO_E_TOO_LARGE);
    free(text);
    /* The largest that goes is one the service reads (its limit: frame length <= the size). */
    req = touch_of(BO_ENVELOPE_MAX_SIZE - 64, &text);
    ck_assert_int_eq(bo_envelope_request_encode(m, 1, &caller, &req.base, &msg), BO_OK);
    ck_assert_uint_le(nng_msg_len(msg), BO_ENVELOPE_MAX_SIZE);
    nng_msg_free(msg);
    free(text);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {envelope_carries_the_caller_and_retry_after,
                            envelope_limit_is_the_whole_frame,
                            error_names_round_trip,
                            time_format_and_parse,
                            time_format_matches_gmtime,
                            config_precedence_and_errors,
                            envelope_round_trip_and_errors,
                            enum_names_drop_their_prefix,
                            NULL};

    return support_tests_run("proto", "runtime", tests);
}
