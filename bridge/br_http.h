/*
 * br_http: the request and response side of one REST call.
 *
 * A br_req lives on the worker thread's stack for one request. Responses are
 * built in the thread's reusable buffer and leave with ONE mg_write call that
 * carries the status line, the headers and the body (civetweb's header
 * helpers make about ten send() calls per response). Every response is
 * application/json unless said otherwise, with Content-Length and
 * Cache-Control: no-store.
 *
 * Functions that may answer the request themselves (errors) return 0 when
 * the caller should go on, else the HTTP status of the response they wrote;
 * handlers return that status unchanged.
 */
#ifndef BR_HTTP_H
#define BR_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "br_buf.h"
#include "br_json.h"

struct mg_connection;
struct mg_request_info;
struct bo_client;
struct bo_session;
struct br_config;
struct br_seatmaps;
struct cJSON;

/* What every worker thread shares; read-only once the server serves (the seat-map memory
 * has its own locks). */
struct br_shared {
    const struct br_config *cfg;
    struct bo_client *client;
    struct br_seatmaps *seatmaps; /* seat maps and tokens in memory (br_seatmaps.h) */
};

/* One per civetweb worker thread, created and destroyed by br_server. */
struct br_thread {
    const struct br_shared *shared;
    struct bo_session *session; /* opened on the thread's first rpc, reused after */
    struct br_buf out;          /* the response being built */
    char *body;                 /* request body, max-body-bytes + 1, allocated on first use */
};

#define BR_MAX_PATH_IDS 2

/* One request being answered. */
struct br_req {
    struct mg_connection *conn;
    const struct mg_request_info *ri;
    struct br_thread *t;
    const char *path;
    uint64_t ids[BR_MAX_PATH_IDS]; /* numeric path ids, in order of appearance */
    struct cJSON *json;            /* the body once parsed (br_input_object); freed at the end */
    uint64_t seatmap_ticket;       /* a seat map read by rpc: the snapshot's ticket (br_seatmaps) */
    int seatmap_claim;             /* that read refreshes the map for every reader (br_seatmaps) */
    uint32_t seatmap_part;         /* the first seat of the map read: 1, or a section's first */
    int seatmap_compact;           /* a section read answered in the compact form */
    int body_state;                /* enum br_http_body_state: how far the body was read */
};

/* How far br_http_body read a request's body; the answer closes the connection unless the
 * rest can be left to civetweb to skip (a body of a declared length within max-body-bytes
 * that the client is already sending). */
enum br_http_body_state {
    BR_HTTP_BODY_UNREAD = 0, /* not read (an answer before it, or a request without one) */
    BR_HTTP_BODY_READ,       /* read to its end */
    BR_HTTP_BODY_CUT,        /* refused or broken part-way: the rest is never read */
};

/* br_http_end frees what r gathered while it was answered, and the thread's response buffer if
 * a big answer grew it past 64 kB (br_buf_trim); safe to call more than once. */
void br_http_end(struct br_req *r);

/* br_http_begin empties the thread's response buffer and returns it for the body. */
struct br_buf *br_http_begin(struct br_req *r);

/* br_http_begin_json empties the thread's response buffer and points j (the caller's) at it
 * for a JSON body. */
void br_http_begin_json(struct br_req *r, struct br_json *j);

/* br_http_send writes the status line, headers (content_type, or application/json when NULL;
 * extra_headers are complete "Name: value\r\n" lines of any length, or NULL) and the buffer
 * from br_http_begin in one write. When the request's body is left unread and cannot be skipped
 * cheaply (chunked, larger than max-body-bytes, awaiting 100 Continue, or cut part-way) the
 * answer says "Connection: close" and civetweb closes the connection after it instead of
 * reading the rest. Returns status (500 only when memory for the answer ran out). */
int br_http_send(struct br_req *r, int status, const char *content_type, const char *extra_headers);

/* br_http_error answers {"error":{"code","message"}} with the HTTP status of err (a bo_error
 * or br_error code); fmt NULL uses the code's default message. A 401 carries
 * "WWW-Authenticate: Bearer". Returns the HTTP status. */
int br_http_error(struct br_req *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* br_http_error_hdr is br_http_error with extra header lines (e.g. Allow for 405). */
int br_http_error_hdr(struct br_req *r, int err, const char *extra_headers, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* br_http_error_seats is br_http_error naming the seats the error concerns: "seatNos":
 * [seat_nos[0..n)] in the error object (left out when n is 0). */
int br_http_error_seats(struct br_req *r, int err, const uint32_t *seat_nos, size_t n,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* br_http_header returns the value of the request header name, or NULL when absent. */
const char *br_http_header(const struct br_req *r, const char *name);

/*
 * br_http_body reads the request body into the thread's body buffer (NUL-terminated,
 * borrowed until the request ends). Answers 415 when a Content-Type other than
 * application/json is given, 413 when the body is larger than max-body-bytes (a declared
 * Content-Length is refused before any of it is read, and before "100 Continue" is sent to a
 * client that sent "Expect: 100-continue"), and 400 MALFORMED_REQUEST when a chunked body is
 * malformed or the body stops short of its length. Returns 0 with *body and *len set, or the
 * HTTP status of the error written.
 */
int br_http_body(struct br_req *r, const char **body, size_t *len);

#endif
