/*
 * br_push_frame: WebSocket and SSE framing of push messages (see br_push_frame.h).
 *
 * Layers, low to high: the JSON message; the WebSocket close; the SSE
 * stream (head, events, keep-alives) and its error response.
 */
#include "br_push_frame.h"

#include "bo_time.h"
#include "br_json.h"
#include "br_status.h"

#include <stdio.h>
#include <string.h>

/* The longest error body an SSE error response carries. */
#define BR_PUSH_FRAME_BODY_MAX 512

/* ---- the message -------------------------------------------------------------------- */

const char *br_push_frame_type(int status)
{
    return status == BR_PUSH_WAITING  ? "position"
           : status == BR_PUSH_ACTIVE ? "admitted"
                                      : "expired";
}

void br_push_frame_message(struct br_buf *b, const char *token_id, const struct br_push_state *st)
{
    struct br_json j;

    br_json_init(&j, b);
    br_json_obj_begin(&j);
    br_json_kv_str(&j, "type", br_push_frame_type(st->status));
    br_json_kv_str(&j, "tokenId", token_id);
    switch (st->status) {
    case BR_PUSH_WAITING:
        br_json_kv_str(&j, "status", "WAITING");
        br_json_kv_u64(&j, "position", st->position);
        br_json_kv_u64(&j, "etaSeconds", st->eta_seconds);
        if (st->sale_opens_at_ms != 0) {
            char at[40], msg[80];
            bo_time_format_ms(st->sale_opens_at_ms, at, sizeof(at));
            snprintf(msg, sizeof(msg), "waiting for the sale to open at %s", at);
            br_json_kv_time(&j, "saleOpensAt", st->sale_opens_at_ms);
            br_json_kv_str(&j, "message", msg);
        }
        break;
    case BR_PUSH_ACTIVE:
        br_json_kv_str(&j, "status", "ACTIVE");
        br_json_kv_time(&j, "admittedAt", st->admitted_at_ms);
        br_json_kv_time(&j, "expiresAt", st->expires_at_ms);
        break;
    default:
        br_json_kv_str(&j, "status", "EXPIRED");
    }
    br_json_obj_end(&j);
}

/* ---- WebSocket ---------------------------------------------------------------------- */

size_t br_push_frame_ws_close(int err, const char *msg, int *code, char *reason)
{
    int http = br_status_http(err);
    int n = snprintf(reason, BR_PUSH_FRAME_REASON_MAX + 1, "%s: %s", br_status_name(err),
                     msg != NULL ? msg : br_status_message(err));

    *code = http == 401 ? 4401 : http == 503 ? 1013 : 1011; /* 1011: unexpected condition */
    if (n < 0 || n > BR_PUSH_FRAME_REASON_MAX) {
        n = BR_PUSH_FRAME_REASON_MAX;
    }
    return (size_t)n;
}

/* ---- Server-Sent Events ------------------------------------------------------------- */

void br_push_frame_sse_event(struct br_buf *b, int head, const char *token_id,
                             const struct br_push_state *st)
{
    if (head) {
        /* The page comes from the REST port and the stream from this one: EventSource needs
         * CORS. The token travels in the URL, no cookies, so any origin may read. */
        br_buf_puts(b, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                       "Access-Control-Allow-Origin: *\r\n"
                       "Cache-Control: no-store\r\nConnection: close\r\n"
                       "X-Accel-Buffering: no\r\n\r\n");
    }
    br_buf_printf(b, "event: %s\ndata: ", br_push_frame_type(st->status));
    br_push_frame_message(b, token_id, st);
    br_buf_puts(b, "\n\n");
}

void br_push_frame_sse_keepalive(struct br_buf *b)
{
    br_buf_puts(b, ": keep-alive\n\n");
}

/* A 503 (unavailable, or over a push cap) tells when to try again, in seconds. */
#define BR_PUSH_FRAME_RETRY_AFTER "5"

void br_push_frame_http_error(struct br_buf *b, int err, const char *msg)
{
    char body[BR_PUSH_FRAME_BODY_MAX];
    size_t start = b->len;
    int status = br_status_http(err);
    struct br_json j;

    /* The body first, to know its length; then the head in its place, then the body. */
    br_json_init(&j, b);
    br_status_error_json(&j, err, msg);
    size_t blen = b->len - start;
    if (b->failed || blen >= sizeof(body)) {
        b->failed = 1;
        return;
    }
    memcpy(body, b->data + start, blen);
    b->len = start;
    br_buf_printf(b,
                  "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                  "Access-Control-Allow-Origin: *\r\n"
                  "Cache-Control: no-store\r\n%sConnection: close\r\n\r\n",
                  status, br_status_reason(status), blen,
                  status == 503 ? "Retry-After: " BR_PUSH_FRAME_RETRY_AFTER "\r\n" : "");
    br_buf_append(b, body, blen);
}
