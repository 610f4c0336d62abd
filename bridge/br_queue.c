/* br_queue: a place in the line (POST /api/v1/queue/tokens), its state (GET
 * /api/v1/queue/tokens/current), leaving it (DELETE .../current), and where push is (GET
 * /api/v1/queue/events redirected, GET /api/v1/queue/push). */
#include "bo_time.h"
#include "br_call.h"
#include "br_config.h"
#include "br_input.h"
#include "br_json.h"
#include "br_pb.h"
#include "br_push.h"
#include "br_push_routes.h"
#include "br_routes.h"
#include "br_seatmaps.h"

#include <civetweb.h>
#include <stdio.h>
#include <string.h>

/* A token's members; the first, the signed token string, only where the token is issued. */
static const char *const br_queue_token_keys[] = {
    "token",      "tokenId",  "userId",     "concertId", "status",      "position",
    "etaSeconds", "issuedAt", "admittedAt", "expiresAt", "saleOpensAt", NULL};

/* br_queue_token_json writes tok as an object of keys and, while it waits for the sale to
 * open, "message" saying when that is. */
static void br_queue_token_json(struct br_json *j, const Boxoffice__V1__Token *tok,
                                const char *const *keys)
{
    char at[32];
    char msg[80];

    br_json_obj_begin(j);
    br_pb_json_members(j, &tok->base, keys);
    if (tok->status == BOXOFFICE__V1__TOKEN_STATUS__TOKEN_WAITING && tok->sale_opens_at_ms != 0) {
        bo_time_format_ms(tok->sale_opens_at_ms, at, sizeof(at));
        snprintf(msg, sizeof(msg), "waiting for the sale to open at %s", at);
        br_json_kv_str(j, "message", msg);
    }
    br_json_obj_end(j);
}

/* br_queue_issued_write writes the issued token with its signed string: 201 when new. */
static int br_queue_issued_write(struct br_json *j, const ProtobufCMessage *msg,
                                 const ProtobufCMessage *req)
{
    const Boxoffice__V1__IssueTokenReply *rep = (const Boxoffice__V1__IssueTokenReply *)msg;

    if (rep->token == NULL) {
        return 0;
    }
    br_queue_token_json(j, rep->token, br_queue_token_keys);
    return rep->created ? 201 : 200;
}

/* br_queue_state_write writes the reply's "token" without its signed string (keys[0]). */
static int br_queue_state_write(struct br_json *j, const ProtobufCMessage *rep,
                                const ProtobufCMessage *req)
{
    ProtobufCType type;
    const Boxoffice__V1__Token *const *tok = br_pb_field(rep, "token", &type);

    if (tok == NULL || type != PROTOBUF_C_TYPE_MESSAGE || *tok == NULL) {
        return 0;
    }
    br_queue_token_json(j, *tok, br_queue_token_keys + 1);
    return 200;
}

/* The user is the proven one; a userId, when sent, must be that user (the service checks). */
static const struct br_input_field br_queue_issue_input[] = {
    {"userId", 0, 1, BR_INPUT_MAX_SAFE, BR_INPUT_INT},
    {"concertId", 1, 1, BR_INPUT_MAX_SAFE, BR_INPUT_INT},
    {NULL, 0, 0, 0, BR_INPUT_INT}};

const struct br_rpc br_queue_issue_rpc = {.method = "IssueToken",
                                          .input = br_queue_issue_input,
                                          .write = br_queue_issued_write,
                                          .needs = "a token",
                                          .batched = 1};

const struct br_rpc br_queue_current_rpc = {
    .method = "GetToken", .write = br_queue_state_write, .needs = "a token", .batched = 1};

/* The token as leaving left it: EXPIRED (and forgotten by this bridge before it answers). */
const struct br_rpc br_queue_leave_rpc = {.method = "LeaveQueue",
                                          .write = br_queue_state_write,
                                          .needs = "a token",
                                          .after = br_seatmaps_left};

/* br_queue_push_urls answers status with {"websocket","sse"} for the push base URL. */
static int br_queue_push_urls(struct br_req *r, const char *base, int status, const char *extra)
{
    int tls = strncmp(base, "https://", 8) == 0;
    char url[400];
    struct br_json j;

    br_http_begin_json(r, &j);
    br_json_obj_begin(&j);
    snprintf(url, sizeof(url), "%s%s%s", tls ? "wss://" : "ws://", base + (tls ? 8 : 7),
             BR_PUSH_PATH);
    br_json_kv_str(&j, "websocket", url);
    snprintf(url, sizeof(url), "%s%s", base, BR_PUSH_PATH);
    br_json_kv_str(&j, "sse", url);
    br_json_obj_end(&j);
    return br_http_send(r, status, NULL, extra);
}

/* br_queue_push_base finds the push base URL; answers 404 when push is off. */
static int br_queue_push_base(struct br_req *r, char *base, size_t len)
{
    int rc = br_config_push_base(r->t->shared->cfg, br_http_header(r, "Host"), base, len);

    if (rc == BO_E_NOT_FOUND) {
        return br_http_error(r, BO_E_NOT_FOUND, "push is off on this bridge: poll %s",
                             "GET /api/v1/queue/tokens/current");
    }
    if (rc != BO_OK) {
        return br_http_error(r, BO_E_INTERNAL, "the push URL is too long");
    }
    return 0;
}

int br_queue_events_redirect(struct br_req *r)
{
    const char *q = r->ri->query_string;
    char base[300];
    char location[2400];
    int status;
    int n;

    if ((status = br_queue_push_base(r, base, sizeof(base))) != 0) {
        return status;
    }
    n = snprintf(location, sizeof(location),
                 "Location: %s%s%s%s\r\nAccess-Control-Allow-Origin: *\r\n", base, BR_PUSH_PATH,
                 q != NULL && q[0] != '\0' ? "?" : "", q != NULL ? q : "");
    if (n < 0 || (size_t)n >= sizeof(location)) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT, "the query is too long");
    }
    return br_queue_push_urls(r, base, 307, location);
}

int br_queue_push_info(struct br_req *r)
{
    char base[300];
    int status;

    if ((status = br_queue_push_base(r, base, sizeof(base))) != 0) {
        return status;
    }
    return br_queue_push_urls(r, base, 200, NULL);
}
