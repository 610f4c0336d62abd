/* br_points: balance, charges, payments (points paid for a hold) and refunds. */
#include "br_call.h"
#include "br_input.h"
#include "br_json.h"
#include "br_pb.h"
#include "br_routes.h"
#include "br_seatmaps.h"
#include "br_seats.h"

/* A payment's members; "seats" (when listed) and "replayed", from the reply, follow them. A
 * refund's are the same with refundedAt. */
static const char *const br_points_payment_keys[] = {
    "paymentId=id", "status", "amount", "reservationId",         "userId",
    "scheduleId",   "seatNo", "paidAt", "balance=balance_after", NULL};
static const char *const br_points_refund_keys[] = {
    "paymentId=id", "status", "amount",     "reservationId",         "userId", "scheduleId",
    "seatNo",       "paidAt", "refundedAt", "balance=balance_after", NULL};

/* br_points_payment_write writes payment p (keys), its seats (always when every_seat, else when
 * br_seats_listed says so) and replayed; returns status, or 0 without a payment. */
static int br_points_payment_write(struct br_json *j, const Boxoffice__V1__Payment *p,
                                   const char *const *keys, int every_seat, int replayed,
                                   int status)
{
    if (p == NULL) {
        return 0;
    }
    br_json_obj_begin(j);
    br_pb_json_members(j, &p->base, keys);
    if (every_seat || br_seats_listed(p->seats, p->n_seats)) {
        br_seats_member(j, p->seats, p->n_seats);
    }
    br_json_kv_bool(j, "replayed", replayed);
    br_json_obj_end(j);
    return status;
}

/* br_points_paid_write writes the payment: 201, or 200 when it was a replay. */
static int br_points_paid_write(struct br_json *j, const ProtobufCMessage *msg,
                                const ProtobufCMessage *req)
{
    const Boxoffice__V1__PayReply *rep = (const Boxoffice__V1__PayReply *)msg;

    (void)req;
    return br_points_payment_write(j, rep->payment, br_points_payment_keys, 0, rep->replayed,
                                   rep->replayed ? 200 : 201);
}

/* br_points_refunded_write writes the refunded payment with its seats: 200, replayed or not. */
static int br_points_refunded_write(struct br_json *j, const ProtobufCMessage *msg,
                                    const ProtobufCMessage *req)
{
    const Boxoffice__V1__RefundReply *rep = (const Boxoffice__V1__RefundReply *)msg;

    (void)req;
    return br_points_payment_write(j, rep->payment, br_points_refund_keys, 1, rep->replayed, 200);
}

/* {"userId","balance"} */
const struct br_rpc br_points_balance_rpc = {
    .method = "GetBalance", .path_id = "userId", .echo = "userId", .status = 200};

static const struct br_input_field br_points_charge_input[] = {
    {"amount", 1, 1, BR_INPUT_MAX_SAFE, BR_INPUT_INT}, {NULL, 0, 0, 0, BR_INPUT_INT}};

/* The charge and the new balance: {"userId","balance","amount","ledgerId","replayed"}. */
const struct br_rpc br_points_charge_rpc = {.method = "ChargePoints",
                                            .input = br_points_charge_input,
                                            .path_id = "userId",
                                            .echo = "userId",
                                            .status = 200};

static const struct br_input_field br_points_pay_input[] = {
    {"reservationId", 1, 1, BR_INPUT_MAX_SAFE, BR_INPUT_INT}, {NULL, 0, 0, 0, BR_INPUT_INT}};

const struct br_rpc br_points_pay_rpc = {.method = "Pay",
                                         .input = br_points_pay_input,
                                         .write = br_points_paid_write,
                                         .needs = "a payment",
                                         .after = br_seatmaps_paid};

/* POST /api/v1/payments/{id}/refund: the proven user's own payment (no Queue-Token; the
 * Idempotency-Key header honoured). */
const struct br_rpc br_points_refund_rpc = {.method = "Refund",
                                            .path_id = "paymentId",
                                            .write = br_points_refunded_write,
                                            .needs = "a payment",
                                            .after = br_seatmaps_refunded};
