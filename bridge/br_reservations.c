/* br_reservations: hold a seat (POST /api/v1/reservations), release a hold (DELETE .../{id}). */
#include "bo_enum.h"
#include "br_call.h"
#include "br_input.h"
#include "br_json.h"
#include "br_routes.h"

#include <stdint.h>

/* br_reservations_json writes reservation v. */
static void br_reservations_json(struct br_json *j, const Boxoffice__V1__Reservation *v)
{
    br_json_obj_begin(j);
    br_json_kv_u64(j, "reservationId", v->id);
    br_json_kv_str(j, "status",
                   bo_enum_name(&boxoffice__v1__reservation_status__descriptor, v->status));
    br_json_kv_time(j, "expiresAt", v->expires_at_ms);
    br_json_kv_i64(j, "price", v->price);
    br_json_kv_u64(j, "userId", v->user_id);
    br_json_kv_u64(j, "concertId", v->concert_id);
    br_json_kv_u64(j, "scheduleId", v->schedule_id);
    br_json_kv_u64(j, "seatNo", v->seat_no);
    br_json_kv_time(j, "heldAt", v->held_at_ms);
    br_json_obj_end(j);
}

/* br_reservations_held_write writes the new hold: 201. */
static int br_reservations_held_write(struct br_json *j, const ProtobufCMessage *msg,
                                      const void *arg)
{
    const Boxoffice__V1__HoldSeatReply *rep = (const Boxoffice__V1__HoldSeatReply *)msg;

    if (rep->reservation == NULL) {
        return 0;
    }
    br_reservations_json(j, rep->reservation);
    return 201;
}

/* br_reservations_released_write writes the released hold: 200. */
static int br_reservations_released_write(struct br_json *j, const ProtobufCMessage *msg,
                                          const void *arg)
{
    const Boxoffice__V1__ReleaseHoldReply *rep = (const Boxoffice__V1__ReleaseHoldReply *)msg;

    if (rep->reservation == NULL) {
        return 0;
    }
    br_reservations_json(j, rep->reservation);
    return 200;
}

int br_reservations_hold(struct br_req *r)
{
    static const struct br_rpc rpc = {"HoldSeat", br_reservations_held_write, "a reservation"};
    Boxoffice__V1__HoldSeatRequest req = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;
    int64_t schedule_id = 0;
    int64_t seat_no = 0;
    const struct br_input_field fields[] = {
        {"scheduleId", 1, 1, BR_INPUT_MAX_SAFE, &schedule_id},
        {"seatNo", 1, 1, UINT32_MAX, &seat_no},
    };
    int status;

    if ((status = br_input_fields(r, fields, 2)) != 0) {
        return status;
    }
    req.token = (char *)br_routes_token(r);
    req.schedule_id = (uint64_t)schedule_id;
    req.seat_no = (uint32_t)seat_no;
    return br_call_json(r, &rpc, &req.base, NULL);
}

int br_reservations_release(struct br_req *r)
{
    static const struct br_rpc rpc = {"ReleaseHold", br_reservations_released_write,
                                      "a reservation"};
    Boxoffice__V1__ReleaseHoldRequest req = BOXOFFICE__V1__RELEASE_HOLD_REQUEST__INIT;

    req.token = (char *)br_routes_token(r);
    req.reservation_id = r->ids[0];
    return br_call_json(r, &rpc, &req.base, NULL);
}
