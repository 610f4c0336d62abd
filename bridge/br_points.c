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

/* br_points_balance_write writes {"userId","balance"}; arg is the request. */
static int br_points_balance_write(struct br_json *j, const ProtobufCMessage *msg, const void *arg)
{
    const Boxoffice__V1__GetBalanceReply *rep = (const Boxoffice__V1__GetBalanceReply *)msg;
    const Boxoffice__V1__GetBalanceRequest *req = arg;

    br_json_obj_begin(j);
    br_json_kv_u64(j, "userId", rep->user_id != 0 ? rep->user_id : req->user_id);
    br_json_kv_i64(j, "balance", rep->balance);
    br_json_obj_end(j);
    return 200;
}

/* br_points_charged_write writes the charge and the new balance; arg is the request. */
static int br_points_charged_write(struct br_json *j, const ProtobufCMessage *msg, const void *arg)
{
    const Boxoffice__V1__ChargePointsReply *rep = (const Boxoffice__V1__ChargePointsReply *)msg;
    const Boxoffice__V1__ChargePointsRequest *req = arg;

    br_json_obj_begin(j);
    br_json_kv_u64(j, "userId", rep->user_id != 0 ? rep->user_id : req->user_id);
    br_json_kv_i64(j, "balance", rep->balance);
    br_json_kv_i64(j, "amount", rep->amount);
    br_json_kv_u64(j, "ledgerId", rep->ledger_id);
    br_json_kv_bool(j, "replayed", rep->replayed);
    br_json_obj_end(j);
    return 200;
}

/* br_points_paid_write writes the payment: 201, or 200 when it was a replay. */
static int br_points_paid_write(struct br_json *j, const ProtobufCMessage *msg, const void *arg)
{
    const Boxoffice__V1__PayReply *rep = (const Boxoffice__V1__PayReply *)msg;
    const Boxoffice__V1__Payment *p = rep->payment;

    if (p == NULL) {
        return 0;
    }
    br_json_obj_begin(j);
    br_json_kv_u64(j, "paymentId", p->id);
    br_json_kv_str(j, "status",
                   p->status == BOXOFFICE__V1__PAYMENT_STATUS__PAYMENT_COMPLETED ? "COMPLETED"
                                                                                 : "UNSPECIFIED");
    br_json_kv_i64(j, "amount", p->amount);
    br_json_kv_u64(j, "reservationId", p->reservation_id);
    br_json_kv_u64(j, "userId", p->user_id);
    br_json_kv_u64(j, "scheduleId", p->schedule_id);
    br_json_kv_u64(j, "seatNo", p->seat_no);
    br_json_kv_time(j, "paidAt", p->paid_at_ms);
    br_json_kv_i64(j, "balance", p->balance_after);
    br_json_kv_bool(j, "replayed", rep->replayed);
    br_json_obj_end(j);
    return rep->replayed ? 200 : 201;
}

int br_points_balance(struct br_req *r)
{
    static const struct br_rpc rpc = {"GetBalance", br_points_balance_write, NULL};
    Boxoffice__V1__GetBalanceRequest req = BOXOFFICE__V1__GET_BALANCE_REQUEST__INIT;

    req.token = (char *)br_routes_token(r);
    req.user_id = r->ids[0];
    return br_call_json(r, &rpc, &req.base, &req);
}

int br_points_charge(struct br_req *r)
{
    static const struct br_rpc rpc = {"ChargePoints", br_points_charged_write, NULL};
    Boxoffice__V1__ChargePointsRequest req = BOXOFFICE__V1__CHARGE_POINTS_REQUEST__INIT;
    const char *key = "";
    int64_t amount = 0;
    const struct br_input_field fields[] = {{"amount", 1, 1, BR_INPUT_MAX_SAFE, &amount}};
    int status;

    if ((status = br_points_key(r, &key)) != 0 || (status = br_input_fields(r, fields, 1)) != 0) {
        return status;
    }
    req.token = (char *)br_routes_token(r);
    req.user_id = r->ids[0];
    req.amount = amount;
    req.idempotency_key = (char *)key;
    return br_call_json(r, &rpc, &req.base, &req);
}

int br_points_pay(struct br_req *r)
{
    static const struct br_rpc rpc = {"Pay", br_points_paid_write, "a payment"};
    Boxoffice__V1__PayRequest req = BOXOFFICE__V1__PAY_REQUEST__INIT;
    const char *key = "";
    int64_t reservation_id = 0;
    const struct br_input_field fields[] = {
        {"reservationId", 1, 1, BR_INPUT_MAX_SAFE, &reservation_id}};
    int status;

    if ((status = br_points_key(r, &key)) != 0 || (status = br_input_fields(r, fields, 1)) != 0) {
        return status;
    }
    req.token = (char *)br_routes_token(r);
    req.reservation_id = (uint64_t)reservation_id;
    req.idempotency_key = (char *)key;
    return br_call_json(r, &rpc, &req.base, NULL);
}
