/* br_reservations: hold a seat (POST /api/v1/reservations), release a hold (DELETE .../{id}). */
#include "bo_enum.h"
#include "br_call.h"
#include "br_input.h"
#include "br_json.h"
#include "br_routes.h"

#include <stdint.h>

/* br_reservations_send answers with reservation v in status (500 when v is missing). */
static int br_reservations_send(struct br_req *r, const Boxoffice__V1__Reservation *v, int status)
{
    if (v == NULL) {
        return br_http_error(r, BO_E_INTERNAL, "the service answered without a reservation");
    }
    struct br_buf *b = br_http_begin(r);
    br_json_obj_begin(b);
    br_json_kv_u64(b, "reservationId", v->id);
    br_json_kv_str(b, "status",
                   bo_enum_name(&boxoffice__v1__reservation_status__descriptor, v->status));
    br_json_kv_time(b, "expiresAt", v->expires_at_ms);
    br_json_kv_i64(b, "price", v->price);
    br_json_kv_u64(b, "userId", v->user_id);
    br_json_kv_u64(b, "concertId", v->concert_id);
    br_json_kv_u64(b, "scheduleId", v->schedule_id);
    br_json_kv_u64(b, "seatNo", v->seat_no);
    br_json_kv_time(b, "heldAt", v->held_at_ms);
    br_json_obj_end(b);
    return br_http_send(r, status, NULL, NULL);
}

int br_reservations_hold(struct br_req *r)
{
    Boxoffice__V1__HoldSeatRequest req = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;
    Boxoffice__V1__HoldSeatReply *rep = NULL;
    cJSON *body = NULL;
    int64_t schedule_id = 0;
    int64_t seat_no = 0;
    int status;

    if ((status = br_input_object(r, &body)) != 0) {
        return status;
    }
    if ((status = br_input_int(r, body, "scheduleId", 1, 1, BR_INPUT_MAX_SAFE, &schedule_id,
                               NULL)) != 0 ||
        (status = br_input_int(r, body, "seatNo", 1, 1, UINT32_MAX, &seat_no, NULL)) != 0) {
        cJSON_Delete(body);
        return status;
    }
    cJSON_Delete(body);
    req.token = (char *)br_routes_token(r);
    req.schedule_id = (uint64_t)schedule_id;
    req.seat_no = (uint32_t)seat_no;
    if ((status = br_call(r, "HoldSeat", &req.base, (ProtobufCMessage **)&rep)) != 0) {
        return status;
    }
    status = br_reservations_send(r, rep->reservation, 201);
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return status;
}

int br_reservations_release(struct br_req *r)
{
    Boxoffice__V1__ReleaseHoldRequest req = BOXOFFICE__V1__RELEASE_HOLD_REQUEST__INIT;
    Boxoffice__V1__ReleaseHoldReply *rep = NULL;
    int status;

    req.token = (char *)br_routes_token(r);
    req.reservation_id = r->ids[0];
    if ((status = br_call(r, "ReleaseHold", &req.base, (ProtobufCMessage **)&rep)) != 0) {
        return status;
    }
    status = br_reservations_send(r, rep->reservation, 200);
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return status;
}
