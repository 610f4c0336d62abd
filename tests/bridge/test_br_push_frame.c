/* Unit suite for br_push_frame: the exact bytes of push messages, SSE events and errors and
 * the WebSocket close, no servers. */
#include "bo_error.h"
#include "br_push_frame.h"
#include "br_status.h"

#include "support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* frame_case: one token state and the message that tells it. */
struct frame_case {
    struct br_push_state st;
    const char *type;
    const char *json;
};

static const struct frame_case frame_cases[] = {
    {{BR_PUSH_WAITING, 12, 34, 0, 0, 0},
     "position",
     "{\"type\":\"position\",\"tokenId\":\"3-9\",\"status\":\"WAITING\",\"position\":12,"
     "\"etaSeconds\":34}"},
    {{BR_PUSH_WAITING, 0, 0, 0, 0, 1764032403456LL},
     "position",
     "{\"type\":\"position\",\"tokenId\":\"3-9\",\"status\":\"WAITING\",\"position\":0,"
     "\"etaSeconds\":0,\"saleOpensAt\":\"2025-11-25T01:00:03.456Z\",\"message\":\"waiting for "
     "the sale to open at 2025-11-25T01:00:03.456Z\"}"},
    {{BR_PUSH_ACTIVE, 0, 0, 1764032403456LL, 1764033003456LL, 0},
     "admitted",
     "{\"type\":\"admitted\",\"tokenId\":\"3-9\",\"status\":\"ACTIVE\","
     "\"admittedAt\":\"2025-11-25T01:00:03.456Z\",\"expiresAt\":\"2025-11-25T01:10:03.456Z\"}"},
    {{BR_PUSH_ACTIVE, 0, 0, 0, 0, 0},
     "admitted",
     "{\"type\":\"admitted\",\"tokenId\":\"3-9\",\"status\":\"ACTIVE\",\"admittedAt\":null,"
     "\"expiresAt\":null}"},
    {{BR_PUSH_EXPIRED, 0, 0, 0, 0, 0},
     "expired",
     "{\"type\":\"expired\",\"tokenId\":\"3-9\",\"status\":\"EXPIRED\"}"},
};

/* content returns b's content as a string (the buffer keeps a NUL after it). */
static const char *content(const struct br_buf *b)
{
    size_t len;
    const char *s = br_buf_content(b, &len);
    ck_assert_uint_eq(strlen(s), len);
    return s;
}

/* check_message_table checks one row of frame_cases. */
static void check_message_table(const struct frame_case *c)
{
    struct br_buf b;
    char want[1024];

    br_buf_init(&b);
    br_buf_reset(&b, 16);
    ck_assert_str_eq(br_push_frame_type(c->st.status), c->type);
    br_push_frame_message(&b, "3-9", &c->st);
    ck_assert_str_eq(content(&b), c->json);

    /* the same message as an SSE event, in an open stream and as the stream's first */
    br_buf_reset(&b, 16);
    br_push_frame_sse_event(&b, 0, "3-9", &c->st);
    snprintf(want, sizeof(want), "event: %s\ndata: %s\n\n", c->type, c->json);
    ck_assert_str_eq(content(&b), want);

    br_buf_reset(&b, 16);
    br_push_frame_sse_event(&b, 1, "3-9", &c->st);
    const char *got = content(&b);
    const char *body = strstr(got, "\r\n\r\n");
    ck_assert_ptr_nonnull(body);
    ck_assert_str_eq(body + 4, want);
    ck_assert_int_eq(strncmp(got, "HTTP/1.1 200 OK\r\n", 17), 0);
    ck_assert_ptr_nonnull(strstr(got, "\r\nContent-Type: text/event-stream\r\n"));
    ck_assert_ptr_nonnull(strstr(got, "\r\nAccess-Control-Allow-Origin: *\r\n"));
    ck_assert_ptr_nonnull(strstr(got, "\r\nConnection: close\r\n"));
    ck_assert_ptr_null(strstr(got, "Content-Length"));
    br_buf_fini(&b);
}

SUPPORT_TABLE_TEST(message_table, frame_cases, check_message_table)

START_TEST(sse_keepalive)
{
    struct br_buf b;

    br_buf_init(&b);
    br_buf_reset(&b, 0);
    br_push_frame_sse_keepalive(&b);
    ck_assert_str_eq(content(&b), ": keep-alive\n\n");
    br_buf_fini(&b);
}
END_TEST

START_TEST(sse_http_error)
{
    static const char body[] =
        "{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"push is served at GET /x only\"}}";
    struct br_buf b;
    char want[1024];

    br_buf_init(&b);
    br_buf_reset(&b, 16);
    br_push_frame_http_error(&b, BO_E_NOT_FOUND, "push is served at GET /x only");
    snprintf(want, sizeof(want),
             "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
             "Access-Control-Allow-Origin: *\r\n"
             "Cache-Control: no-store\r\nConnection: close\r\n\r\n%s",
             strlen(body), body);
    ck_assert_str_eq(content(&b), want);
    ck_assert_int_eq(b.failed, 0);

    /* no message: the code's default */
    br_buf_reset(&b, 0);
    br_push_frame_http_error(&b, BO_E_TOKEN_MISSING, NULL);
    ck_assert_ptr_nonnull(strstr(content(&b), br_status_message(BO_E_TOKEN_MISSING)));
    ck_assert_int_eq(strncmp(content(&b), "HTTP/1.1 401 ", 13), 0);

    /* a body too long for one response fails the buffer */
    char longmsg[600];
    memset(longmsg, 'x', sizeof(longmsg) - 1);
    longmsg[sizeof(longmsg) - 1] = '\0';
    br_buf_reset(&b, 0);
    br_push_frame_http_error(&b, BO_E_NOT_FOUND, longmsg);
    ck_assert_int_eq(b.failed, 1);
    br_buf_fini(&b);
}
END_TEST

struct close_case {
    int err;
    const char *msg;
    int code;
    const char *reason;
};

static const struct close_case close_cases[] = {
    {BO_E_TOKEN_MISSING, "a queue token is required", 4401,
     "TOKEN_MISSING: a queue token is required"},
    {BO_E_TOKEN_INVALID, "bad", 4401, "TOKEN_INVALID: bad"},
    {BO_E_UNAVAILABLE, "down", 1013, "UNAVAILABLE: down"},
    {BO_E_TIMEOUT, "slow", 1013, "UNAVAILABLE: slow"},
    {BO_E_NOMEM, "full", 1011, "NOMEM: full"},
};

/* check_ws_close_table checks one row of close_cases. */
static void check_ws_close_table(const struct close_case *c)
{
    char reason[BR_PUSH_FRAME_REASON_MAX + 1];
    int code = 0;
    size_t n = br_push_frame_ws_close(c->err, c->msg, &code, reason);

    ck_assert_int_eq(code, c->code);
    ck_assert_uint_eq(n, strlen(c->reason));
    ck_assert_str_eq(reason, c->reason);
}

SUPPORT_TABLE_TEST(ws_close_table, close_cases, check_ws_close_table)

START_TEST(ws_close_reason_is_cut)
{
    char reason[BR_PUSH_FRAME_REASON_MAX + 1];
    char longmsg[300];
    int code = 0;

    memset(longmsg, 'y', sizeof(longmsg) - 1);
    longmsg[sizeof(longmsg) - 1] = '\0';
    size_t n = br_push_frame_ws_close(BO_E_TOKEN_EXPIRED, longmsg, &code, reason);
    ck_assert_uint_eq(n, BR_PUSH_FRAME_REASON_MAX);
    ck_assert_uint_eq(strlen(reason), BR_PUSH_FRAME_REASON_MAX);
    ck_assert_int_eq(code, 4401);

    n = br_push_frame_ws_close(BO_E_TOKEN_EXPIRED, NULL, &code, reason);
    ck_assert_ptr_nonnull(strstr(reason, br_status_message(BO_E_TOKEN_EXPIRED)));
    ck_assert_uint_eq(n, strlen(reason));
}
END_TEST

int main(void)
{
    const TTest *tests[] = {message_table,  sse_keepalive,          sse_http_error,
                            ws_close_table, ws_close_reason_is_cut, NULL};

    return support_tests_run("br_push_frame", "frames", tests);
}
