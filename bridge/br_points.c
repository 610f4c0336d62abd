/* br_points: balance, charges and payments (points paid for a held seat). */
#include "br_call.h"
#include "br_input.h"
#include "br_json.h"
#include "br_routes.h"
#include "br_status.h"

#include <string.h>

#define BR_POINTS_KEY_MAX 128

/* br_points_key reads the optional Idempotency-Key header into *key ("" when absent); answers
 * 400 unless it is 1..128 printable ASCII characters. */
static int br_points_key(struct br_req *r, const char **key)
{
    const char *k = br_http_header(r, "Idempotency-Key");
    size_t n;

    if (k == NULL) {
        *key = "";
        return 0;
    }
    for (n = 0; k[n] != '\0' && n <= BR_POINTS_KEY_MAX; n++) {
        if ((unsigned char)k[n] < 0x20 || (unsigned char)k[n] > 0x7e) {
            return br_http_error(r, BO_E_INVALID_ARGUMENT,
                                 "Idempotency-Key must be printable ASCII characters only");
        }
    }
    if (n == 0 || n > BR_POINTS_KEY_MAX) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT,
                             "Idempotency-Key must be 1 to %d printable ASCII characters",
                             BR_POINTS_KEY_MAX);
    }
    *key = k;
    return 0;
}

int br_points_balance(struct br_req *r)
{
    Boxoffice__V1__GetBalanceRequest req = BOXOFFICE__V1__GET_BALANCE_REQUEST__INIT;
    Boxoffice__V1__GetBalanceReply *rep = NULL;
    int status;

    req.token = (char *)br_routes_token(r);
    req.user_id = r->ids[0];
    if ((status = br_call(r, "GetBalance", &req.base, (ProtobufCMessage **)&rep)) != 0) {
        return status;
    }
    struct br_buf *b = br_http_begin(r);
    br_json_obj_begin(b);
    br_json_kv_u64(b, "userId", rep->user_id != 0 ? rep->user_id : req.user_id);
    br_json_kv_i64(b, "balance", rep->balance);
    br_json_obj_end(b);
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return br_http_send(r, 200, NULL, NULL);
}

int br_points_charge(struct br_req *r)
{
    Boxoffice__V1__ChargePointsRequest req = BOXOFFICE__V1__CHARGE_POINTS_REQUEST__INIT;
    Boxoffice__V1__ChargePointsReply *rep = NULL;
    cJSON *body = NULL;
    const char *key = "";
    int64_t amount = 0;
    int status;

    if ((status = br_points_key(r, &key)) != 0 || (status = br_input_object(r, &body)) != 0) {
        return status;
    }
    status = br_input_int(r, body, "amount", 1, 1, BR_INPUT_MAX_SAFE, &amount, NULL);
    cJSON_Delete(body);
    if (status != 0) {
        return status;
    }
    req.token = (char *)br_routes_token(r);
    req.user_id = r->ids[0];
    req.amount = amount;
    req.idempotency_key = (char *)key;
    if ((status = br_call(r, "ChargePoints", &req.base, (ProtobufCMessage **)&rep)) != 0) {
        return status;
    }
    struct br_buf *b = br_http_begin(r);
    br_json_obj_begin(b);
    br_json_kv_u64(b, "userId", rep->user_id != 0 ? rep->user_id : req.user_id);
    br_json_kv_i64(b, "balance", rep->balance);
    br_json_kv_i64(b, "amount", rep->amount);
    br_json_kv_u64(b, "ledgerId", rep->ledger_id);
    br_json_kv_bool(b, "replayed", rep->replayed);
    br_json_obj_end(b);
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return br_http_send(r, 200, NULL, NULL);
}

int br_points_pay(struct br_req *r)
{
    Boxoffice__V1__PayRequest req = BOXOFFICE__V1__PAY_REQUEST__INIT;
    Boxoffice__V1__PayReply *rep = NULL;
    cJSON *body = NULL;
    const char *key = "";
    int64_t reservation_id = 0;
    int status;

    if ((status = br_points_key(r, &key)) != 0 || (status = br_input_object(r, &body)) != 0) {
        return status;
    }
    status = br_input_int(r, body, "reservationId", 1, 1, BR_INPUT_MAX_SAFE, &reservation_id, NULL);
    cJSON_Delete(body);
    if (status != 0) {
        return status;
    }
    req.token = (char *)br_routes_token(r);
    req.reservation_id = (uint64_t)reservation_id;
    req.idempotency_key = (char *)key;
    if ((status = br_call(r, "Pay", &req.base, (ProtobufCMessage **)&rep)) != 0) {
        return status;
    }
    const Boxoffice__V1__Payment *p = rep->payment;
    if (p == NULL) {
        protobuf_c_message_free_unpacked(&rep->base, NULL);
        return br_http_error(r, BO_E_INTERNAL, "the service answered without a payment");
    }
    struct br_buf *b = br_http_begin(r);
    br_json_obj_begin(b);
    br_json_kv_u64(b, "paymentId", p->id);
    br_json_kv_str(b, "status",
                   p->status == BOXOFFICE__V1__PAYMENT_STATUS__PAYMENT_COMPLETED ? "COMPLETED"
                                                                                 : "UNSPECIFIED");
    br_json_kv_i64(b, "amount", p->amount);
    br_json_kv_u64(b, "reservationId", p->reservation_id);
    br_json_kv_u64(b, "userId", p->user_id);
    br_json_kv_u64(b, "scheduleId", p->schedule_id);
    br_json_kv_u64(b, "seatNo", p->seat_no);
    br_json_kv_time(b, "paidAt", p->paid_at_ms);
    br_json_kv_i64(b, "balance", p->balance_after);
    br_json_kv_bool(b, "replayed", rep->replayed);
    br_json_obj_end(b);
    status = rep->replayed ? 200 : 201;
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return br_http_send(r, status, NULL, NULL);
}
