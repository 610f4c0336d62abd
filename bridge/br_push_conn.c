/*
 * br_push_conn: connection life and I/O on the push loop (see br_push_conn.h).
 *
 * Threads: every function here runs on the loop thread (lws callbacks), or
 * in br_push_stop once that thread is joined.
 *
 * Layers, low to high: a connection's life; reading the request; writing
 * (WebSocket, SSE); results from the workers; the lws callback.
 */
#include "br_push_conn.h"

#include "bo_error.h"
#include "bo_time.h"
#include "br_metrics.h"
#include "br_push.h"
#include "br_push_frame.h"
#include "br_status.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A keep-alive comment (SSE) or a ping (WebSocket) every cfg->push_keepalive_ms; a WebSocket
 * peer that has sent nothing (no pong) since the previous ping is closed. The connections due
 * one are looked for this often (so one comes up to this late). */
#define BR_PUSH_KEEPALIVE_SWEEP_MS 250
/* Signed tokens are far shorter; anything longer is refused without an rpc. */
#define BR_PUSH_TOKEN_MAX 256

enum br_push_kind { BR_PUSH_WS = 1, BR_PUSH_SSE = 2 };
enum br_push_phase { BR_PUSH_VERIFYING = 1, BR_PUSH_REJECT, BR_PUSH_OPEN, BR_PUSH_CLOSING };

struct br_push_conn {
    struct br_push_member m;   /* first: a member pointer is a connection pointer */
    struct lws *wsi;           /* NULL once lws closed it (while VERIFYING only) */
    struct br_push_addr *addr; /* its count against the caps; NULL when refused or closed */
    char *token;               /* the signed token text */
    const char *reject_msg;    /* REJECT: a literal, or NULL for the code's default */
    int reject;                /* REJECT: the error answered (bo_error or br_error) */
    uint8_t kind;
    uint8_t phase;
    uint8_t head_sent;    /* SSE: the 200 status line and headers went out */
    uint8_t ka_due;       /* SSE: a keep-alive comment is due */
    uint8_t ping_due;     /* WebSocket: a ping is due */
    uint8_t pong_owed;    /* WebSocket: nothing heard since the last ping */
    uint8_t final_sent;   /* the expired message went out: close after it drained */
    lws_dll2_t keepalive; /* on p->keepalives until it closes */
    int64_t keepalive_ms; /* monotonic time its next keep-alive is due */
};

/* lws's per-connection user space: just the pointer (connections outlive it, see above). */
struct br_push_pss {
    struct br_push_conn *c;
};

/* Why a connection over a cap is refused (the reason of close 1013, the SSE 503's message),
 * by enum br_metrics_push_refusal. */
static const char *const br_push_refusals[BR_METRICS_PUSH_NREFUSALS] = {
    "too many push connections from your address: close one, then try again later",
    "this token has its most push connections (the per-token cap): close one, then try again",
    "the push listener is full: try again later",
    "too many push connections wait for their token check: try again shortly"};

/* ---- a connection's life -------------------------------------------------------------- */

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

/* br_push_conn_refuse refuses c for being over a cap (see br_push_refusals), counted in the
 * metrics. */
static void br_push_conn_refuse(struct br_push_conn *c, enum br_metrics_push_refusal why)
{
    br_metrics_push_refused(why);
    br_push_conn_reject(c, BO_E_UNAVAILABLE, br_push_refusals[why]);
}

/* br_push_conn_admit counts new connection c against the total cap and its address's cap.
 * Returns 1 when c is in, 0 when it was refused (or out of memory: rejected as such). */
static int br_push_conn_admit(struct br_push *p, struct br_push_conn *c)
{
    char ip[64];
    uint32_t per_address, per_token;
    enum br_metrics_push_refusal why = BR_METRICS_PUSH_TOTAL;
    const char *peer = lws_get_peer_simple(c->wsi, ip, sizeof(ip));

    br_push_events_caps(p->ev, &per_address, &per_token);
    int rc =
        br_push_caps_admit(p->caps, peer != NULL ? ip : "", (uint32_t)p->cfg->push_max_connections,
                           per_address, &c->addr, &why);
    if (rc == BO_E_UNAVAILABLE) {
        br_push_conn_refuse(c, why);
        return 0;
    }
    if (rc != BO_OK) {
        br_push_conn_reject(c, rc, NULL);
        return 0;
    }
    return 1;
}

/* br_push_conn_begin verifies c's token on a worker, or rejects it at once when it cannot
 * be one or the job list is full. */
static void br_push_conn_begin(struct br_push *p, struct br_push_conn *c, int token_rc)
{
    int rc;

    if (token_rc != BO_OK) {
        br_push_conn_reject(c, token_rc, NULL);
        return;
    }
    if (c->token[0] == '\0') {
        br_push_conn_reject(c, BO_E_TOKEN_MISSING,
                            "a queue token is required: the Queue-Token header or ?token=");
        return;
    }
    rc = br_push_events_verify(p->ev, c, c->token);
    if (rc == BO_E_UNAVAILABLE) {
        br_push_conn_refuse(c, BR_METRICS_PUSH_QUEUE);
    } else if (rc != BO_OK) {
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
    if (!lws_dll2_is_detached(&c->keepalive)) {
        lws_dll2_remove(&c->keepalive);
    }
    br_push_caps_release(p->caps, c->addr);
    c->addr = NULL;
    br_push_hub_leave(p->hub, &c->m);
    if (c->phase == BR_PUSH_VERIFYING) {
        c->wsi = NULL;
        return;
    }
    br_push_conn_free(c);
}

void br_push_conn_wake(struct br_push_member *m, void *arg)
{
    struct br_push_conn *c = (struct br_push_conn *)m;
    (void)arg;
    if (c->wsi != NULL && c->phase == BR_PUSH_OPEN) {
        lws_callback_on_writable(c->wsi);
    }
}

/* br_push_conn_timer_arm makes c's next keep-alive due one period from now. Every due time is
 * now + the period, so appending keeps p->keepalives in the order they are due, and a sweep
 * every BR_PUSH_KEEPALIVE_SWEEP_MS serves them: an lws timer per connection would be inserted
 * in lws's sorted list by walking it, which with 10,000 connections was most of an idle
 * bridge's CPU. */
static void br_push_conn_timer_arm(struct br_push *p, struct br_push_conn *c)
{
    if (!lws_dll2_is_detached(&c->keepalive)) {
        lws_dll2_remove(&c->keepalive);
    }
    c->keepalive_ms = bo_time_mono_ms() + p->cfg->push_keepalive_ms;
    lws_dll2_add_tail(&c->keepalive, &p->keepalives);
}

/* ---- reading the request --------------------------------------------------------------- */

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

/* ---- writing ------------------------------------------------------------------------- */

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

/* br_push_send_more writes p->out and asks to write again (more may follow); returns 0, or
 * -1 to close. */
static int br_push_send_more(struct br_push *p, struct lws *wsi, enum lws_write_protocol wp)
{
    if (br_push_send(p, wsi, wp) != 0) {
        return -1;
    }
    lws_callback_on_writable(wsi);
    return 0;
}

/* br_push_http_error writes the JSON error response for err (msg NULL: the code's default
 * message) to wsi, which closes after it. */
static int br_push_http_error(struct br_push *p, struct lws *wsi, int err, const char *msg,
                              enum lws_write_protocol wp)
{
    br_buf_reset(&p->out, LWS_PRE);
    br_push_frame_http_error(&p->out, err, msg);
    return br_push_send(p, wsi, wp);
}

/* br_push_state_sent notes that c's message telling status went out: an expired token's
 * connection closes once it drained (lws calls back when its buffer emptied). */
static int br_push_state_sent(struct br_push_conn *c, int status)
{
    if (status == BR_PUSH_EXPIRED) {
        c->phase = BR_PUSH_CLOSING;
    }
    lws_callback_on_writable(c->wsi);
    return 0;
}

/* br_push_ws_writeable writes an open WebSocket's next frame: a due ping, else its newest
 * state. Returns -1 to close. */
static int br_push_ws_writeable(struct br_push *p, struct br_push_conn *c)
{
    struct br_push_state st;
    const char *token_id;

    br_buf_reset(&p->out, LWS_PRE);
    if (c->ping_due) {
        c->ping_due = 0;
        /* Not empty: libwebsockets 4.1 tells no callback of an empty pong, so a peer
         * answering an empty ping would look silent and be closed. */
        br_buf_append(&p->out, "ka", 2);
        return br_push_send_more(p, c->wsi, LWS_WRITE_PING);
    }
    if (!br_push_hub_pending(&c->m, &st, &token_id)) {
        return 0;
    }
    br_push_frame_message(&p->out, token_id, &st);
    if (br_push_send(p, c->wsi, LWS_WRITE_TEXT) != 0) {
        return -1;
    }
    return br_push_state_sent(c, st.status);
}

/* br_push_ws_close closes c with a close frame: why it was refused, or that its token
 * expired. Returns -1 (close). */
static int br_push_ws_close(struct br_push_conn *c)
{
    static const char bye[] = "token expired";
    char reason[BR_PUSH_FRAME_REASON_MAX + 1];
    int code;

    if (c->phase == BR_PUSH_REJECT) {
        size_t n = br_push_frame_ws_close(c->reject, c->reject_msg, &code, reason);
        lws_close_reason(c->wsi, (enum lws_close_status)code, (unsigned char *)reason, n);
    } else {
        lws_close_reason(c->wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *)bye, sizeof(bye) - 1);
    }
    return -1;
}

/* br_push_sse_writeable writes an open event stream's next bytes: its newest state (after the
 * head, the first time), else a due keep-alive. Returns -1 to close. */
static int br_push_sse_writeable(struct br_push *p, struct br_push_conn *c)
{
    struct br_push_state st;
    const char *token_id;

    br_buf_reset(&p->out, LWS_PRE);
    if (br_push_hub_pending(&c->m, &st, &token_id)) {
        br_push_frame_sse_event(&p->out, !c->head_sent, token_id, &st);
        c->head_sent = 1;
        if (br_push_send(p, c->wsi, LWS_WRITE_HTTP) != 0) {
            return -1;
        }
        return br_push_state_sent(c, st.status);
    }
    if (c->ka_due && c->head_sent) {
        c->ka_due = 0;
        br_push_frame_sse_keepalive(&p->out);
        return br_push_send(p, c->wsi, LWS_WRITE_HTTP);
    }
    return 0;
}

/* br_push_sse_reject writes c's error response, then closes once it drained. */
static int br_push_sse_reject(struct br_push *p, struct br_push_conn *c)
{
    if (c->final_sent) {
        return -1; /* the error response drained */
    }
    c->final_sent = 1;
    br_buf_reset(&p->out, LWS_PRE);
    br_push_frame_http_error(&p->out, c->reject, c->reject_msg);
    return br_push_send_more(p, c->wsi, LWS_WRITE_HTTP);
}

/* br_push_writeable writes the next thing c has to say; returns -1 to close the wsi. */
static int br_push_writeable(struct br_push *p, struct br_push_conn *c)
{
    int ws = c->kind == BR_PUSH_WS;

    switch (c->phase) {
    case BR_PUSH_VERIFYING:
        return 0;
    case BR_PUSH_REJECT:
        return ws ? br_push_ws_close(c) : br_push_sse_reject(p, c);
    case BR_PUSH_CLOSING:
        return ws ? br_push_ws_close(c) : -1;
    default:
        return ws ? br_push_ws_writeable(p, c) : br_push_sse_writeable(p, c);
    }
}

/* ---- results from the workers --------------------------------------------------------- */

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
    uint32_t per_address, per_token;
    br_push_events_caps(p->ev, &per_address, &per_token);
    if (per_token != 0 && br_push_hub_followers(p->hub, r->token_id) >= per_token) {
        br_push_conn_refuse(c, BR_METRICS_PUSH_TOKEN);
        return;
    }
    c->phase = BR_PUSH_OPEN;
    int rc = br_push_hub_join(p->hub, &c->m, r->token_id, c->token, &r->st);
    if (rc != BO_OK) {
        br_push_conn_reject(c, rc, NULL);
        return;
    }
    if (c->kind == BR_PUSH_SSE) {
        br_push_conn_timer_arm(p, c);
    }
}

void br_push_conn_results(struct br_push *p, struct br_push_result *r)
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

/* ---- the lws callback ------------------------------------------------------------------ */

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
     * (an event stream lasts) free of lws's transaction timeouts. The peer's address is
     * read from the socket, not the headers. */
    lws_http_headers_detach(wsi);
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    if (!br_push_conn_admit(p, c)) {
        return 0;
    }
    if (err != 0) {
        br_push_conn_reject(c, err, msg);
        return 0;
    }
    br_push_conn_begin(p, c, token_rc);
    return 0;
}

/* br_push_ws_established starts a WebSocket connection: its token verified, its pings timed. */
static int br_push_ws_established(struct br_push *p, struct lws *wsi, struct br_push_pss *pss)
{
    char token[BR_PUSH_TOKEN_MAX + 1];
    int token_rc = br_push_token_read(wsi, token, sizeof(token));
    struct br_push_conn *c = br_push_conn_new(p, wsi, BR_PUSH_WS, token);

    if (c == NULL) {
        return -1;
    }
    pss->c = c;
    if (br_push_conn_admit(p, c)) {
        br_push_conn_begin(p, c, token_rc);
    }
    br_push_conn_timer_arm(p, c);
    return 0;
}

/* br_push_conn_keepalive is c's keep-alive period ending: a ping (closing a WebSocket silent
 * since the last one) or an SSE comment is due. */
static void br_push_conn_keepalive(struct br_push *p, struct br_push_conn *c)
{
    if (c->kind == BR_PUSH_WS) {
        if (c->pong_owed) {
            /* silent for a whole keep-alive period: gone (closed from outside its callback) */
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
            return;
        }
        c->pong_owed = 1;
        c->ping_due = 1;
    } else {
        c->ka_due = 1;
    }
    lws_callback_on_writable(c->wsi);
    br_push_conn_timer_arm(p, c);
}

/* br_push_conn_keepalives_due serves the connections whose keep-alive is due, then looks
 * again a sweep later. */
static void br_push_conn_keepalives_due(lws_sorted_usec_list_t *sul)
{
    struct br_push *p = lws_container_of(sul, struct br_push, keepalive_sul);
    int64_t now = bo_time_mono_ms();
    lws_dll2_t *d;

    while ((d = lws_dll2_get_head(&p->keepalives)) != NULL) {
        struct br_push_conn *c = lws_container_of(d, struct br_push_conn, keepalive);
        if (c->keepalive_ms > now) {
            break;
        }
        lws_dll2_remove(d);
        br_push_conn_keepalive(p, c);
    }
    lws_sul_schedule(p->ctx, 0, &p->keepalive_sul, br_push_conn_keepalives_due,
                     (lws_usec_t)BR_PUSH_KEEPALIVE_SWEEP_MS * LWS_US_PER_MS);
}

void br_push_conn_keepalives_start(struct br_push *p)
{
    lws_sul_schedule(p->ctx, 0, &p->keepalive_sul, br_push_conn_keepalives_due,
                     (lws_usec_t)BR_PUSH_KEEPALIVE_SWEEP_MS * LWS_US_PER_MS);
}

static int br_push_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                            size_t len)
{
    struct br_push_pss *pss = user;
    struct br_push *p;

    (void)in;
    (void)len;
    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        p = br_push_of(wsi);
        if (p != NULL && p->ev != NULL) {
            br_push_conn_results(p, br_push_events_take(p->ev));
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

    case LWS_CALLBACK_ESTABLISHED:
        return br_push_ws_established(br_push_of(wsi), wsi, pss);

    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_RECEIVE_PONG:
        if (pss->c != NULL) {
            pss->c->pong_owed = 0; /* anything heard proves the peer is there */
        }
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

const struct lws_protocols br_push_conn_protocols[] = {
    /* The first protocol serves plain HTTP and WebSocket upgrades that name no
     * subprotocol (browsers' new WebSocket(url) names none). */
    {"boxoffice-push", br_push_callback, sizeof(struct br_push_pss), 512, 0, NULL, 2048},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};
