/* br_points: balance, charges and payments (points paid for a held seat). */
#include "br_call.h"
#include "br_input.h"
#include "br_json.h"
#include "br_pb.h"
#include "br_routes.h"
#include "br_seatmaps.h"

/* A payment's members; "replayed", from the reply, follows them. */
static const char *const br_points_payment_keys[] = {
    "paymentId=id", "status", "amount", "reservationId",         "userId",
    "scheduleId",   "seatNo", "paidAt", "balance=balance_after", NULL};

/* br_points_paid_write writes the payment: 201, or 200 when it was a replay. */
static int br_points_paid_write(struct br_json *j, const ProtobufCMessage *msg,
                                const ProtobufCMessage *req)
{
    const Boxoffice__V1__PayReply *rep = (const Boxoffice__V1__PayReply *)msg;

    if (rep->payment == NULL) {
        return 0;
    }
    br_json_obj_begin(j);
    br_pb_json_members(j, &rep->payment->base, br_points_payment_keys);
    br_json_kv_bool(j, "replayed", rep->replayed);
    br_json_obj_end(j);
    return rep->replayed ? 200 : 201;
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
