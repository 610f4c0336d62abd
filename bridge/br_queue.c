/* br_queue: POST /api/v1/queue/tokens, GET /api/v1/queue/tokens/current, and where push is
 * (GET /api/v1/queue/events redirected, GET /api/v1/queue/push). */
#include "bo_enum.h"
#include "br_call.h"
#include "br_config.h"
#include "br_input.h"
#include "br_json.h"
#include "br_push.h"
#include "br_push_routes.h"
#include "br_routes.h"

#include <civetweb.h>
#include <stdio.h>
#include <string.h>

/* br_queue_token_json writes a token object; the signed token string only when with_token. */
static void br_queue_token_json(struct br_json *j, const Boxoffice__V1__Token *t, int with_token)
{
    br_json_obj_begin(j);
    if (with_token) {
        br_json_kv_str(j, "token", t->token);
    }
    br_json_kv_str(j, "tokenId", t->token_id);
    br_json_kv_u64(j, "userId", t->user_id);
    br_json_kv_u64(j, "concertId", t->concert_id);
    br_json_kv_str(j, "status", bo_enum_name(&boxoffice__v1__token_status__descriptor, t->status));
    br_json_kv_u64(j, "position", t->position);
    br_json_kv_u64(j, "etaSeconds", t->eta_seconds);
    br_json_kv_time(j, "issuedAt", t->issued_at_ms);
    br_json_kv_time(j, "admittedAt", t->admitted_at_ms);
    br_json_kv_time(j, "expiresAt", t->expires_at_ms);
    br_json_obj_end(j);
}

/* br_queue_issued_write writes the issued token with its signed string: 201 when new. */
static int br_queue_issued_write(struct br_json *j, const ProtobufCMessage *msg, const void *arg)
{
    const Boxoffice__V1__IssueTokenReply *rep = (const Boxoffice__V1__IssueTokenReply *)msg;

    if (rep->token == NULL) {
        return 0;
    }
    br_queue_token_json(j, rep->token, 1);
    return rep->created ? 201 : 200;
}

/* br_queue_current_write writes the token's state without its signed string. */
static int br_queue_current_write(struct br_json *j, const ProtobufCMessage *msg, const void *arg)
{
    const Boxoffice__V1__GetTokenReply *rep = (const Boxoffice__V1__GetTokenReply *)msg;

    if (rep->token == NULL) {
        return 0;
    }
    br_queue_token_json(j, rep->token, 0);
    return 200;
}

int br_queue_issue(struct br_req *r)
{
    static const struct br_rpc rpc = {"IssueToken", br_queue_issued_write, "a token"};
    Boxoffice__V1__IssueTokenRequest req = BOXOFFICE__V1__ISSUE_TOKEN_REQUEST__INIT;
    int64_t user_id = 0;
    int64_t concert_id = 0;
    const struct br_input_field fields[] = {
        {"userId", 1, 1, BR_INPUT_MAX_SAFE, &user_id},
        {"concertId", 1, 1, BR_INPUT_MAX_SAFE, &concert_id},
    };
    int status;

    if ((status = br_input_fields(r, fields, 2)) != 0) {
        return status;
    }
    req.user_id = (uint64_t)user_id;
    req.concert_id = (uint64_t)concert_id;
    return br_call_json(r, &rpc, &req.base, NULL);
}

int br_queue_current(struct br_req *r)
{
    static const struct br_rpc rpc = {"GetToken", br_queue_current_write, "a token"};
    Boxoffice__V1__GetTokenRequest req = BOXOFFICE__V1__GET_TOKEN_REQUEST__INIT;

    req.token = (char *)br_routes_token(r);
    return br_call_json(r, &rpc, &req.base, NULL);
}

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
