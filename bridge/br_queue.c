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
static void br_queue_token_json(struct br_buf *b, const Boxoffice__V1__Token *t, int with_token)
{
    br_json_obj_begin(b);
    if (with_token) {
        br_json_kv_str(b, "token", t->token);
    }
    br_json_kv_str(b, "tokenId", t->token_id);
    br_json_kv_u64(b, "userId", t->user_id);
    br_json_kv_u64(b, "concertId", t->concert_id);
    br_json_kv_str(b, "status", bo_enum_name(&boxoffice__v1__token_status__descriptor, t->status));
    br_json_kv_u64(b, "position", t->position);
    br_json_kv_u64(b, "etaSeconds", t->eta_seconds);
    br_json_kv_time(b, "issuedAt", t->issued_at_ms);
    br_json_kv_time(b, "admittedAt", t->admitted_at_ms);
    br_json_kv_time(b, "expiresAt", t->expires_at_ms);
    br_json_obj_end(b);
}

int br_queue_issue(struct br_req *r)
{
    Boxoffice__V1__IssueTokenRequest req = BOXOFFICE__V1__ISSUE_TOKEN_REQUEST__INIT;
    Boxoffice__V1__IssueTokenReply *rep = NULL;
    cJSON *body = NULL;
    int64_t user_id = 0;
    int64_t concert_id = 0;
    int status;

    if ((status = br_input_object(r, &body)) != 0) {
        return status;
    }
    if ((status = br_input_int(r, body, "userId", 1, 1, BR_INPUT_MAX_SAFE, &user_id, NULL)) != 0 ||
        (status = br_input_int(r, body, "concertId", 1, 1, BR_INPUT_MAX_SAFE, &concert_id, NULL)) !=
            0) {
        cJSON_Delete(body);
        return status;
    }
    cJSON_Delete(body);
    req.user_id = (uint64_t)user_id;
    req.concert_id = (uint64_t)concert_id;
    if ((status = br_call(r, "IssueToken", &req.base, (ProtobufCMessage **)&rep)) != 0) {
        return status;
    }
    if (rep->token == NULL) {
        protobuf_c_message_free_unpacked(&rep->base, NULL);
        return br_http_error(r, BO_E_INTERNAL, "the service answered without a token");
    }
    struct br_buf *b = br_http_begin(r);
    br_queue_token_json(b, rep->token, 1);
    status = rep->created ? 201 : 200;
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return br_http_send(r, status, NULL, NULL);
}

int br_queue_current(struct br_req *r)
{
    Boxoffice__V1__GetTokenRequest req = BOXOFFICE__V1__GET_TOKEN_REQUEST__INIT;
    Boxoffice__V1__GetTokenReply *rep = NULL;
    int status;

    req.token = (char *)br_routes_token(r);
    if ((status = br_call(r, "GetToken", &req.base, (ProtobufCMessage **)&rep)) != 0) {
        return status;
    }
    if (rep->token == NULL) {
        protobuf_c_message_free_unpacked(&rep->base, NULL);
        return br_http_error(r, BO_E_INTERNAL, "the service answered without a token");
    }
    struct br_buf *b = br_http_begin(r);
    br_queue_token_json(b, rep->token, 0);
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return br_http_send(r, 200, NULL, NULL);
}

/* br_queue_push_urls writes {"websocket","sse"} for the push base URL into b. */
static void br_queue_push_urls(struct br_buf *b, const char *base)
{
    int tls = strncmp(base, "https://", 8) == 0;
    char url[400];

    br_json_obj_begin(b);
    snprintf(url, sizeof(url), "%s%s%s", tls ? "wss://" : "ws://", base + (tls ? 8 : 7),
             BR_PUSH_PATH);
    br_json_kv_str(b, "websocket", url);
    snprintf(url, sizeof(url), "%s%s", base, BR_PUSH_PATH);
    br_json_kv_str(b, "sse", url);
    br_json_obj_end(b);
}

/* br_queue_push_base finds the push base URL; answers 404 when push is off. */
static int br_queue_push_base(struct br_req *r, char *base, size_t len)
{
    int rc = br_push_public_base(r->t->shared->cfg, br_http_header(r, "Host"), base, len);

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
    br_queue_push_urls(br_http_begin(r), base);
    return br_http_send(r, 307, NULL, location);
}

int br_queue_push_info(struct br_req *r)
{
    char base[300];
    int status;

    if ((status = br_queue_push_base(r, base, sizeof(base))) != 0) {
        return status;
    }
    br_queue_push_urls(br_http_begin(r), base);
    return br_http_send(r, 200, NULL, NULL);
}
