/*
 * br_push: the libwebsockets listener and its event loop (see br_push.h).
 *
 * Threads: the loop thread runs every lws callback, owns the hub and every
 * connection; br_push_events' threads do the blocking work and hand results
 * back through br_push_events_take after waking the loop with
 * lws_cancel_service.
 *
 * A connection (struct br_push_conn, one malloc) belongs to its lws wsi
 * while that is open, except while its token is being verified: a
 * verification always comes back, so when the wsi closes first the result
 * frees the orphaned connection. Phases: VERIFYING -> OPEN -> CLOSING, or
 * VERIFYING -> REJECT. Only one lws_write happens per writeable callback;
 * a connection with more to say asks for another one.
 *
 * SSE responses are written by hand (status line and headers in front of
 * the first event, one write) after lws's header storage was handed back
 * at the request: an idle SSE connection then holds no header buffer. They
 * have no Content-Length and end with the connection ("Connection: close").
 */
#include "br_push.h"

#include "bo_error.h"
#include "bo_log.h"
#include "bo_time.h"
#include "br_buf.h"
#include "br_json.h"
#include "br_push_events.h"
#include "br_push_hub.h"
#include "br_status.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

/* A keep-alive comment (SSE) or a ping (WebSocket) this often; a WebSocket peer that has
 * sent nothing (no pong) since the previous ping is closed. */
#define BR_PUSH_KEEPALIVE_S 15
/* TouchTokens for the tokens of open connections this often (the service skips waiting
 * tokens nobody asked about for 60 s). */
#define BR_PUSH_TOUCH_MS 20000
/* Look for waiting tokens that heard nothing for BR_PUSH_QUIET_MS this often. */
#define BR_PUSH_STALE_EVERY_MS 5000
#define BR_PUSH_QUIET_MS       10000
/* Signed tokens are far shorter; anything longer is refused without an rpc. */
#define BR_PUSH_TOKEN_MAX 256

enum br_push_kind { BR_PUSH_WS = 1, BR_PUSH_SSE = 2 };
enum br_push_phase { BR_PUSH_VERIFYING = 1, BR_PUSH_REJECT, BR_PUSH_OPEN, BR_PUSH_CLOSING };

struct br_push_conn {
    struct br_push_member m; /* first: a member pointer is a connection pointer */
    struct lws *wsi;         /* NULL once lws closed it (while VERIFYING only) */
    char *token;             /* the signed token text */
    const char *reject_msg;  /* REJECT: a literal, or NULL for the code's default */
    int reject;              /* REJECT: the error answered (bo_error or br_error) */
    uint8_t kind;
    uint8_t phase;
    uint8_t head_sent;  /* SSE: the 200 status line and headers went out */
    uint8_t ka_due;     /* SSE: a keep-alive comment is due */
    uint8_t ping_due;   /* WebSocket: a ping is due */
    uint8_t pong_owed;  /* WebSocket: nothing heard since the last ping */
    uint8_t final_sent; /* the expired message went out: close after it drained */
};

/* lws's per-connection user space: just the pointer (connections outlive it, see above). */
struct br_push_pss {
    struct br_push_conn *c;
};

struct br_push {
    const struct br_config *cfg;
    struct lws_context *ctx;
    struct br_push_hub *hub;
    struct br_push_events *ev;
    struct br_buf out; /* the message being written (loop thread) */
    lws_sorted_usec_list_t touch_sul;
    lws_sorted_usec_list_t stale_sul;
    pthread_t loop;
    int loop_started;
    atomic_int stop;
    size_t nconns; /* open connections (loop thread) */
};

/* ---- connections ------------------------------------------------------------------ */

static struct br_push *br_push_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

static void br_push_conn_free(struct br_push_conn *c)
{
    free(c->token);
    free(c);
}

/* br_push_conn_new makes a connection for wsi with a copy of token. */
static struct br_push_conn *br_push_conn_new(struct br_push *p, struct lws *wsi, int kind,
                                             const char *token)
{
    struct br_push_conn *c = calloc(1, sizeof(*c));

    if (c == NULL || (c->token = strdup(token)) == NULL) {
        free(c);
        return NULL;
    }
    c->wsi = wsi;
    c->kind = (uint8_t)kind;
    c->phase = BR_PUSH_VERIFYING;
    p->nconns++;
    return c;
}

/* br_push_conn_reject makes c answer err (and close) when it can write. */
static void br_push_conn_reject(struct br_push_conn *c, int err, const char *msg)
{
    c->phase = BR_PUSH_REJECT;
    c->reject = err;
    c->reject_msg = msg;
    lws_callback_on_writable(c->wsi);
}

/* br_push_conn_begin verifies c's token on a worker, or rejects it at once when it cannot
 * be one. */
static void br_push_conn_begin(struct br_push *p, struct br_push_conn *c, int token_rc)
{
    if (token_rc != BO_OK) {
        br_push_conn_reject(c, token_rc, NULL);
        return;
    }
    if (c->token[0] == '\0') {
        br_push_conn_reject(c, BO_E_TOKEN_MISSING,
                            "a queue token is required: the Queue-Token header or ?token=");
        return;
    }
    if (br_push_events_verify(p->ev, c, c->token) != BO_OK) {
        br_push_conn_reject(c, BO_E_NOMEM, NULL);
    }
}

/* br_push_conn_closed is lws closing c's wsi: leave the hub; free c unless a verification
 * still refers to it. */
static void br_push_conn_closed(struct br_push *p, struct br_push_pss *pss)
{
    struct br_push_conn *c = pss->c;

    if (c == NULL) {
        return;
    }
    pss->c = NULL;
    p->nconns--;
    br_push_hub_leave(p->hub, &c->m);
    if (c->phase == BR_PUSH_VERIFYING) {
        c->wsi = NULL;
        return;
    }
    br_push_conn_free(c);
}

/* br_push_wake is the hub telling a member it has a newer state to write. */
static void br_push_wake(struct br_push_member *m, void *arg)
{
    struct br_push_conn *c = (struct br_push_conn *)m;
    (void)arg;
    if (c->wsi != NULL && c->phase == BR_PUSH_OPEN) {
        lws_callback_on_writable(c->wsi);
    }
}

/* ---- reading the request --------------------------------------------------------- */

/* br_push_token_read copies the token (Queue-Token header, else the token query parameter;
 * "" when neither) into buf. Returns 0, or BO_E_TOKEN_INVALID when it is too long to be
 * one. */
static int br_push_token_read(struct lws *wsi, char *buf, size_t len)
{
    static const char hdr[] = "queue-token:";
    char arg[BR_PUSH_TOKEN_MAX + 8];
    int n = lws_hdr_custom_length(wsi, hdr, (int)sizeof(hdr) - 1);

    buf[0] = '\0';
    if (n > 0) {
        if ((size_t)n >= len ||
            lws_hdr_custom_copy(wsi, buf, (int)len, hdr, (int)sizeof(hdr) - 1) < 0) {
            return BO_E_TOKEN_INVALID;
        }
        return BO_OK;
    }
    memset(arg, 0, sizeof(arg));
    const char *v = lws_get_urlarg_by_name(wsi, "token=", arg, (int)sizeof(arg) - 1);
    if (v != NULL) {
        if (strlen(arg) >= sizeof(arg) - 2 || strlen(v) >= len) {
            return BO_E_TOKEN_INVALID;
        }
        strcpy(buf, v);
    }
    return BO_OK;
}

/* br_push_path_ok tells whether the request's path is the push path (the query is apart). */
static int br_push_path_ok(struct lws *wsi)
{
    char uri[sizeof(BR_PUSH_PATH) + 1];
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI);

    if (n != (int)sizeof(BR_PUSH_PATH) - 1 ||
        lws_hdr_copy(wsi, uri, (int)sizeof(uri), WSI_TOKEN_GET_URI) < 0) {
        return 0;
    }
    return strcmp(uri, BR_PUSH_PATH) == 0;
}

/* br_push_wants_sse tells whether the Accept header names text/event-stream. */
static int br_push_wants_sse(struct lws *wsi)
{
    char accept[512];
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_ACCEPT);

    if (n <= 0 || n >= (int)sizeof(accept) ||
        lws_hdr_copy(wsi, accept, (int)sizeof(accept), WSI_TOKEN_HTTP_ACCEPT) < 0) {
        return 0;
    }
    for (char *s = accept; *s != '\0'; s++) {
        if (strncasecmp(s, "text/event-stream", 17) == 0) {
            return 1;
        }
    }
    return 0;
}

/* ---- writing ------------------------------------------------------------------- */

static const char *br_push_type(int status)
{
    return status == BR_PUSH_WAITING  ? "position"
           : status == BR_PUSH_ACTIVE ? "admitted"
                                      : "expired";
}

/* br_push_json appends the message for st: the shapes the waiting-room page reads. */
static void br_push_json(struct br_buf *b, const char *token_id, const struct br_push_state *st)
{
    br_json_obj_begin(b);
    br_json_kv_str(b, "type", br_push_type(st->status));
    br_json_kv_str(b, "tokenId", token_id);
    switch (st->status) {
    case BR_PUSH_WAITING:
        br_json_kv_str(b, "status", "WAITING");
        br_json_kv_u64(b, "position", st->position);
        br_json_kv_u64(b, "etaSeconds", st->eta_seconds);
        break;
    case BR_PUSH_ACTIVE:
        br_json_kv_str(b, "status", "ACTIVE");
        br_json_kv_time(b, "admittedAt", st->admitted_at_ms);
        br_json_kv_time(b, "expiresAt", st->expires_at_ms);
        break;
    default:
        br_json_kv_str(b, "status", "EXPIRED");
    }
    br_json_obj_end(b);
}

/* br_push_json_after appends the message after text already in b (the writer places commas
 * by the previous byte, so the JSON must look like the start of the buffer). */
static void br_push_json_after(struct br_buf *b, const char *token_id,
                               const struct br_push_state *st)
{
    size_t head = b->head;
    b->head = b->len;
    br_push_json(b, token_id, st);
    b->head = head;
}

/* br_push_send writes what was built in p->out after LWS_PRE; returns 0, or -1 to close. */
static int br_push_send(struct br_push *p, struct lws *wsi, enum lws_write_protocol wp)
{
    size_t len;
    const char *data = br_buf_content(&p->out, &len);

    if (p->out.failed) {
        return -1;
    }
    /* lws wants LWS_PRE writable bytes in front of what it sends */
    if (lws_write(wsi, (unsigned char *)data, len, wp) < (int)len) {
        return -1;
    }
    return 0;
}

/* br_push_sse_head appends the 200 response head of an event stream. */
static void br_push_sse_head(struct br_buf *b)
{
    /* The page comes from the REST port and the stream from this one: EventSource needs
     * CORS. The token travels in the URL, no cookies, so any origin may read. */
    br_buf_puts(b, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                   "Access-Control-Allow-Origin: *\r\n"
                   "Cache-Control: no-store\r\nConnection: close\r\n"
                   "X-Accel-Buffering: no\r\n\r\n");
}

/* br_push_http_error writes the JSON error response for err (msg NULL: the code's default
 * message) to wsi, which closes after it. */
static int br_push_http_error(struct br_push *p, struct lws *wsi, int err, const char *msg,
                              enum lws_write_protocol wp)
{
    struct br_buf *b = &p->out;
    char body[512];
    int status = br_status_http(err);
    size_t blen;

    br_buf_reset(b, LWS_PRE);
    br_json_obj_begin(b);
    br_json_key(b, "error");
    br_json_obj_begin(b);
    br_json_kv_str(b, "code", br_status_name(err));
    br_json_kv_str(b, "message", msg != NULL ? msg : br_status_message(err));
    br_json_obj_end(b);
    br_json_obj_end(b);
    const char *json = br_buf_content(b, &blen);
    if (b->failed || blen >= sizeof(body)) {
        return -1;
    }
    memcpy(body, json, blen);
    br_buf_reset(b, LWS_PRE);
    br_buf_printf(b,
                  "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                  "Access-Control-Allow-Origin: *\r\n"
                  "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
                  status, br_status_reason(status), blen);
    br_buf_append(b, body, blen);
    return br_push_send(p, wsi, wp);
}

/* br_push_ws_close_code returns the WebSocket close code for a rejection: 4401 (like HTTP
 * 401) for a token that is missing, invalid or expired, 1013 "try again later" when the
 * service could not answer, 1011 otherwise. */
static int br_push_ws_close_code(int err)
{
    if (br_status_http(err) == 401) {
        return 4401;
    }
    return br_status_http(err) == 503 ? 1013 : LWS_CLOSE_STATUS_UNEXPECTED_CONDITION;
}

/* br_push_ws_reject closes c with the close code and "CODE: message" as the reason. */
static void br_push_ws_reject(struct br_push_conn *c)
{
    char reason[124]; /* a close frame's reason is at most 123 bytes */
    int n = snprintf(reason, sizeof(reason), "%s: %s", br_status_name(c->reject),
                     c->reject_msg != NULL ? c->reject_msg : br_status_message(c->reject));

    if (n < 0 || n >= (int)sizeof(reason)) {
        n = (int)sizeof(reason) - 1;
    }
    lws_close_reason(c->wsi, (enum lws_close_status)br_push_ws_close_code(c->reject),
                     (unsigned char *)reason, (size_t)n);
}

/* br_push_writeable writes the next thing c has to say; returns -1 to close the wsi. */
static int br_push_writeable(struct br_push *p, struct br_push_conn *c)
{
    struct br_push_state st;
    const char *token_id;

    switch (c->phase) {
    case BR_PUSH_VERIFYING:
        return 0;
    case BR_PUSH_REJECT:
        if (c->kind == BR_PUSH_WS) {
            br_push_ws_reject(c);
            return -1;
        }
        if (c->final_sent) {
            return -1; /* the error response drained */
        }
        c->final_sent = 1;
        if (br_push_http_error(p, c->wsi, c->reject, c->reject_msg, LWS_WRITE_HTTP) != 0) {
            return -1;
        }
        lws_callback_on_writable(c->wsi);
        return 0;
    case BR_PUSH_CLOSING:
        if (c->kind == BR_PUSH_WS) {
            static const char bye[] = "token expired";
            lws_close_reason(c->wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *)bye,
                             sizeof(bye) - 1);
        }
        return -1;
    default:
        break;
    }

    if (c->kind == BR_PUSH_WS && c->ping_due) {
        c->ping_due = 0;
        br_buf_reset(&p->out, LWS_PRE);
        br_buf_append(&p->out, "", 0);
        if (br_push_send(p, c->wsi, LWS_WRITE_PING) != 0) {
            return -1;
        }
        lws_callback_on_writable(c->wsi);
        return 0;
    }
    br_buf_reset(&p->out, LWS_PRE);
    if (br_push_hub_pending(&c->m, &st, &token_id)) {
        if (c->kind == BR_PUSH_SSE) {
            if (!c->head_sent) {
                br_push_sse_head(&p->out);
                c->head_sent = 1;
            }
            br_buf_printf(&p->out, "event: %s\ndata: ", br_push_type(st.status));
            br_push_json_after(&p->out, token_id, &st);
            br_buf_puts(&p->out, "\n\n");
        } else {
            br_push_json(&p->out, token_id, &st);
        }
        if (br_push_send(p, c->wsi, c->kind == BR_PUSH_WS ? LWS_WRITE_TEXT : LWS_WRITE_HTTP) != 0) {
            return -1;
        }
        if (st.status == BR_PUSH_EXPIRED) {
            /* close once this drained: lws calls back when its buffer emptied */
            c->phase = BR_PUSH_CLOSING;
        }
        lws_callback_on_writable(c->wsi);
        return 0;
    }
    if (c->kind == BR_PUSH_SSE && c->ka_due && c->head_sent) {
        c->ka_due = 0;
        br_buf_puts(&p->out, ": keep-alive\n\n");
        return br_push_send(p, c->wsi, LWS_WRITE_HTTP);
    }
    return 0;
}

/* ---- results from the workers ------------------------------------------------------- */

/* br_push_verified applies a verification result to its connection. */
static void br_push_verified(struct br_push *p, struct br_push_result *r)
{
    struct br_push_conn *c = r->tag;

    if (c->wsi == NULL) {
        br_push_conn_free(c); /* closed while verifying: the connection was left to us */
        return;
    }
    if (atomic_load(&p->stop)) {
        c->phase = BR_PUSH_CLOSING;
        return;
    }
    if (r->rc != BO_OK) {
        br_push_conn_reject(c, r->rc, NULL);
        return;
    }
    c->phase = BR_PUSH_OPEN;
    int rc = br_push_hub_join(p->hub, &c->m, r->token_id, c->token, &r->st);
    if (rc != BO_OK) {
        br_push_conn_reject(c, rc, NULL);
        return;
    }
    if (c->kind == BR_PUSH_SSE) {
        lws_set_timer_usecs(c->wsi, (lws_usec_t)BR_PUSH_KEEPALIVE_S * LWS_USEC_PER_SEC);
    }
}

/* br_push_results applies everything the workers and the subscriber handed over. */
static void br_push_results(struct br_push *p, struct br_push_result *r)
{
    while (r != NULL) {
        struct br_push_result *next = r->next;
        if (r->kind == BR_PUSH_VERIFIED) {
            br_push_verified(p, r);
        } else {
            br_push_hub_update(p->hub, r->token_id, &r->st);
        }
        free(r);
        r = next;
    }
}

/* ---- periodic work -------------------------------------------------------------------- */

static void br_push_touch_due(lws_sorted_usec_list_t *sul)
{
    struct br_push *p = lws_container_of(sul, struct br_push, touch_sul);
    char **texts = NULL;
    size_t n = 0;

    if (br_push_hub_tokens(p->hub, &texts, &n) == BO_OK) {
        br_push_events_touch(p->ev, texts, n);
    }
    BO_DEBUG("push: %zu connections, %zu tokens followed", p->nconns, n);
    lws_sul_schedule(p->ctx, 0, &p->touch_sul, br_push_touch_due,
                     (lws_usec_t)BR_PUSH_TOUCH_MS * LWS_US_PER_MS);
}

static void br_push_stale_due(lws_sorted_usec_list_t *sul)
{
    struct br_push *p = lws_container_of(sul, struct br_push, stale_sul);
    char **texts = NULL;
    size_t n = 0;

    if (br_push_hub_stale(p->hub, bo_time_mono_ms(), BR_PUSH_QUIET_MS, &texts, &n) == BO_OK) {
        br_push_events_recheck(p->ev, texts, n);
    }
    lws_sul_schedule(p->ctx, 0, &p->stale_sul, br_push_stale_due,
                     (lws_usec_t)BR_PUSH_STALE_EVERY_MS * LWS_US_PER_MS);
}

/* ---- the lws callback -------------------------------------------------------------- */

/* br_push_http answers a plain HTTP request: an event stream, or an error. */
static int br_push_http(struct br_push *p, struct lws *wsi, struct br_push_pss *pss)
{
    char token[BR_PUSH_TOKEN_MAX + 1];
    int token_rc = BO_OK;
    int err = 0;
    const char *msg = NULL;

    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0) {
        err = BR_E_METHOD_NOT_ALLOWED;
        msg = "only GET is served here";
    } else if (!br_push_path_ok(wsi)) {
        err = BO_E_NOT_FOUND;
        msg = "push is served at GET " BR_PUSH_PATH " only";
    } else if (!br_push_wants_sse(wsi)) {
        err = BO_E_INVALID_ARGUMENT;
        msg = "ask with Accept: text/event-stream, or upgrade to a WebSocket";
    } else {
        token_rc = br_push_token_read(wsi, token, sizeof(token));
    }
    struct br_push_conn *c = br_push_conn_new(p, wsi, BR_PUSH_SSE, err != 0 ? "" : token);
    if (c == NULL) {
        return -1;
    }
    pss->c = c;
    /* Everything needed is copied: hand the header storage back and keep the connection
     * (an event stream lasts) free of lws's transaction timeouts. */
    lws_http_headers_detach(wsi);
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    if (err != 0) {
        br_push_conn_reject(c, err, msg);
        return 0;
    }
    br_push_conn_begin(p, c, token_rc);
    return 0;
}

static int br_push_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                            size_t len)
{
    struct br_push_pss *pss = user;
    struct br_push *p;
    char token[BR_PUSH_TOKEN_MAX + 1];

    (void)in;
    (void)len;
    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        p = br_push_of(wsi);
        if (p != NULL && p->ev != NULL) {
            br_push_results(p, br_push_events_take(p->ev));
        }
        return 0;

    case LWS_CALLBACK_HTTP:
        return br_push_http(br_push_of(wsi), wsi, pss);

    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        /* a WebSocket upgrade: only on the push path; >0 tells lws we answered */
        if (br_push_path_ok(wsi)) {
            return 0;
        }
        br_push_http_error(br_push_of(wsi), wsi, BO_E_NOT_FOUND,
                           "push is served at GET " BR_PUSH_PATH " only", LWS_WRITE_HTTP_HEADERS);
        return 1;

    case LWS_CALLBACK_ESTABLISHED: {
        p = br_push_of(wsi);
        int token_rc = br_push_token_read(wsi, token, sizeof(token));
        struct br_push_conn *c = br_push_conn_new(p, wsi, BR_PUSH_WS, token);
        if (c == NULL) {
            return -1;
        }
        pss->c = c;
        br_push_conn_begin(p, c, token_rc);
        lws_set_timer_usecs(wsi, (lws_usec_t)BR_PUSH_KEEPALIVE_S * LWS_USEC_PER_SEC);
        return 0;
    }

    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_RECEIVE_PONG:
        if (pss->c != NULL) {
            pss->c->pong_owed = 0; /* anything heard proves the peer is there */
        }
        return 0;

    case LWS_CALLBACK_TIMER:
        if (pss == NULL || pss->c == NULL) {
            return 0;
        }
        if (pss->c->kind == BR_PUSH_WS) {
            if (pss->c->pong_owed) {
                return -1; /* silent for a whole keep-alive period: gone */
            }
            pss->c->pong_owed = 1;
            pss->c->ping_due = 1;
        } else {
            pss->c->ka_due = 1;
        }
        lws_callback_on_writable(wsi);
        lws_set_timer_usecs(wsi, (lws_usec_t)BR_PUSH_KEEPALIVE_S * LWS_USEC_PER_SEC);
        return 0;

    case LWS_CALLBACK_SERVER_WRITEABLE:
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (pss == NULL || pss->c == NULL) {
            return 0;
        }
        return br_push_writeable(br_push_of(wsi), pss->c);

    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (pss != NULL) {
            br_push_conn_closed(br_push_of(wsi), pss);
        }
        return 0;

    default:
        return 0;
    }
}

static const struct lws_protocols br_push_protocols[] = {
    /* The first protocol serves plain HTTP and WebSocket upgrades that name no
     * subprotocol (browsers' new WebSocket(url) names none). */
    {"boxoffice-push", br_push_callback, sizeof(struct br_push_pss), 512, 0, NULL, 2048},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- life cycle ------------------------------------------------------------------- */

/* br_push_log sends lws's errors and warnings to our log. */
static void br_push_log(int level, const char *line)
{
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
        n--;
    }
    if (level & LLL_ERR) {
        BO_ERR("lws: %.*s", (int)n, line);
    } else {
        BO_WARN("lws: %.*s", (int)n, line);
    }
}

/* br_push_wake_loop is called by the push threads when results wait. */
static void br_push_wake_loop(void *arg)
{
    struct br_push *p = arg;
    lws_cancel_service(p->ctx);
}

static void *br_push_loop(void *arg)
{
    struct br_push *p = arg;

    while (!atomic_load(&p->stop)) {
        if (lws_service(p->ctx, 0) < 0) {
            BO_ERR("push: the event loop failed");
            break;
        }
    }
    return NULL;
}

/* br_push_nofile raises the open-files limit to its hard limit: every push connection is a
 * socket. */
static void br_push_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            BO_WARN("push: cannot raise the open-files limit to %llu",
                    (unsigned long long)rl.rlim_max);
        }
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 11000) {
        BO_WARN("push: the open-files limit is %llu: fewer push connections fit",
                (unsigned long long)rl.rlim_cur);
    }
}

/* br_push_split_listen splits "host:port", "[v6]:port" or "port" into host (empty for any
 * address) and port. */
static int br_push_split_listen(const char *listen, char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(listen, ':');
    const char *h = listen;
    size_t hlen;

    if (colon == NULL) {
        host[0] = '\0';
        *port = atoi(listen);
        return BO_OK;
    }
    hlen = (size_t)(colon - listen);
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen >= hostlen) {
        return BO_E_INVALID_ARGUMENT;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = atoi(colon + 1);
    return BO_OK;
}

static int br_push_any_host(const char *host)
{
    return host[0] == '\0' || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;
}

int br_push_public_base(const struct br_config *cfg, const char *host_header, char *out, size_t len)
{
    char host[128];
    char from_header[128];
    int port = 0;
    int n;

    if (cfg->push_listen[0] == '\0') {
        return BO_E_NOT_FOUND;
    }
    if (cfg->push_public_url[0] != '\0') {
        n = snprintf(out, len, "%s", cfg->push_public_url);
        return n < 0 || (size_t)n >= len ? BO_E_INVALID_ARGUMENT : BO_OK;
    }
    if (br_push_split_listen(cfg->push_listen, host, sizeof(host), &port) != BO_OK) {
        return BO_E_INVALID_ARGUMENT;
    }
    if (br_push_any_host(host)) {
        /* Listening everywhere: the browser reached REST by some name, push is there too. */
        snprintf(host, sizeof(host), "127.0.0.1");
        if (host_header != NULL && host_header[0] != '\0' && strlen(host_header) < 100) {
            snprintf(from_header, sizeof(from_header), "%s", host_header);
            char *end = from_header[0] == '[' ? strchr(from_header, ']') : NULL;
            char *colon = strrchr(end != NULL ? end : from_header, ':');
            if (colon != NULL) {
                *colon = '\0';
            }
            if (strspn(from_header, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789.-[]:") == strlen(from_header)) {
                snprintf(host, sizeof(host), "%s", from_header);
            }
        }
        n = snprintf(out, len, "http://%s:%d", host, port);
    } else if (strchr(host, ':') != NULL) {
        n = snprintf(out, len, "http://[%s]:%d", host, port);
    } else {
        n = snprintf(out, len, "http://%s:%d", host, port);
    }
    return n < 0 || (size_t)n >= len ? BO_E_INVALID_ARGUMENT : BO_OK;
}

int br_push_start(const struct br_config *cfg, struct br_push **out)
{
    struct lws_context_creation_info info;
    struct br_push *p;
    char host[128];
    int port = 0;
    int rc;

    *out = NULL;
    if (cfg->push_listen[0] == '\0') {
        BO_INFO("push is off (push-listen is empty)");
        return BO_OK;
    }
    if (br_push_split_listen(cfg->push_listen, host, sizeof(host), &port) != BO_OK) {
        BO_ERR("push-listen %s cannot be read", cfg->push_listen);
        return BO_E_INVALID_ARGUMENT;
    }
    br_push_nofile();
    if ((p = calloc(1, sizeof(*p))) == NULL) {
        return BO_E_NOMEM;
    }
    p->cfg = cfg;
    br_buf_init(&p->out);
    atomic_init(&p->stop, 0);
    if ((rc = br_push_hub_create(br_push_wake, p, &p->hub)) != BO_OK) {
        br_push_stop(p);
        return rc;
    }

    lws_set_log_level(LLL_ERR | LLL_WARN, br_push_log);
    memset(&info, 0, sizeof(info));
    info.port = port;
    info.iface = br_push_any_host(host) ? NULL : host;
    info.protocols = br_push_protocols;
    info.user = p;
    info.count_threads = 1;
    info.timeout_secs = 10;
    /* Header storage is taken per request and handed back at once: no fixed pool. */
    info.max_http_header_pool = 0;
    info.max_http_header_data = 4096;
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
    if (strcmp(host, "0.0.0.0") == 0) {
        info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    }
    p->ctx = lws_create_context(&info);
    if (p->ctx == NULL) {
        BO_ERR("push: cannot listen on %s (address in use or invalid?)", cfg->push_listen);
        br_push_stop(p);
        return BO_E_UNAVAILABLE;
    }
    if ((rc = br_push_events_start(cfg, br_push_wake_loop, p, &p->ev)) != BO_OK) {
        p->ev = NULL;
        br_push_stop(p);
        return rc;
    }
    lws_sul_schedule(p->ctx, 0, &p->touch_sul, br_push_touch_due,
                     (lws_usec_t)BR_PUSH_TOUCH_MS * LWS_US_PER_MS);
    lws_sul_schedule(p->ctx, 0, &p->stale_sul, br_push_stale_due,
                     (lws_usec_t)BR_PUSH_STALE_EVERY_MS * LWS_US_PER_MS);
    if (pthread_create(&p->loop, NULL, br_push_loop, p) != 0) {
        BO_ERR("push: cannot start the event loop thread");
        br_push_stop(p);
        return BO_E_INTERNAL;
    }
    p->loop_started = 1;
    BO_INFO("push listening on http://%s (WebSocket and SSE at %s), events from %s",
            cfg->push_listen, BR_PUSH_PATH, cfg->events_urls);
    *out = p;
    return BO_OK;
}

void br_push_stop(struct br_push *p)
{
    if (p == NULL) {
        return;
    }
    atomic_store(&p->stop, 1);
    if (p->loop_started) {
        lws_cancel_service(p->ctx);
        pthread_join(p->loop, NULL);
    }
    /* The loop is gone: stop the workers (their wake-ups still find a live context), settle
     * the verifications they hand back, then let lws close and free every connection. */
    if (p->ev != NULL) {
        br_push_results(p, br_push_events_stop(p->ev));
        p->ev = NULL;
    }
    if (p->ctx != NULL) {
        lws_sul_cancel(&p->touch_sul);
        lws_sul_cancel(&p->stale_sul);
        lws_context_destroy(p->ctx);
    }
    br_push_hub_destroy(p->hub);
    br_buf_fini(&p->out);
    free(p);
}
