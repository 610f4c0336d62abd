/* br_catalog: concerts, a concert's schedules, a schedule's seat map. */
#include "bo_enum.h"
#include "br_call.h"
#include "br_json.h"
#include "br_routes.h"

void br_catalog_concert_json(struct br_buf *b, const Boxoffice__V1__Concert *c)
{
    br_json_obj_begin(b);
    br_json_kv_u64(b, "id", c->id);
    br_json_kv_str(b, "title", c->title);
    br_json_kv_str(b, "artist", c->artist);
    br_json_kv_str(b, "venue", c->venue);
    br_json_kv_u64(b, "scheduleCount", c->schedule_count);
    br_json_obj_end(b);
}

void br_catalog_schedule_json(struct br_buf *b, const Boxoffice__V1__Schedule *s)
{
    br_json_obj_begin(b);
    br_json_kv_u64(b, "id", s->id);
    br_json_kv_u64(b, "concertId", s->concert_id);
    br_json_kv_time(b, "startsAt", s->starts_at_ms);
    br_json_kv_u64(b, "availableSeats", s->available_seats);
    br_json_kv_u64(b, "totalSeats", s->total_seats);
    br_json_obj_end(b);
}

int br_catalog_concerts(struct br_req *r)
{
    Boxoffice__V1__ListConcertsRequest req = BOXOFFICE__V1__LIST_CONCERTS_REQUEST__INIT;
    Boxoffice__V1__ListConcertsReply *rep = NULL;
    int status;

    if ((status = br_call(r, "ListConcerts", &req.base, (ProtobufCMessage **)&rep)) != 0) {
        return status;
    }
    struct br_buf *b = br_http_begin(r);
    br_json_obj_begin(b);
    br_json_key(b, "concerts");
    br_json_arr_begin(b);
    for (size_t i = 0; i < rep->n_concerts; i++) {
        br_catalog_concert_json(b, rep->concerts[i]);
    }
    br_json_arr_end(b);
    br_json_obj_end(b);
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return br_http_send(r, 200, NULL, NULL);
}

int br_catalog_schedules(struct br_req *r)
{
    Boxoffice__V1__ListSchedulesRequest req = BOXOFFICE__V1__LIST_SCHEDULES_REQUEST__INIT;
    Boxoffice__V1__ListSchedulesReply *rep = NULL;
    int status;

    req.token = (char *)br_routes_token(r);
    req.concert_id = r->ids[0];
    if ((status = br_call(r, "ListSchedules", &req.base, (ProtobufCMessage **)&rep)) != 0) {
        return status;
    }
    struct br_buf *b = br_http_begin(r);
    br_json_obj_begin(b);
    br_json_kv_u64(b, "concertId", req.concert_id);
    br_json_key(b, "schedules");
    br_json_arr_begin(b);
    for (size_t i = 0; i < rep->n_schedules; i++) {
        br_catalog_schedule_json(b, rep->schedules[i]);
    }
    br_json_arr_end(b);
    br_json_obj_end(b);
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return br_http_send(r, 200, NULL, NULL);
}

int br_catalog_seats(struct br_req *r)
{
    Boxoffice__V1__ListSeatsRequest req = BOXOFFICE__V1__LIST_SEATS_REQUEST__INIT;
    Boxoffice__V1__ListSeatsReply *rep = NULL;
    int status;

    req.token = (char *)br_routes_token(r);
    req.schedule_id = r->ids[0];
    if ((status = br_call(r, "ListSeats", &req.base, (ProtobufCMessage **)&rep)) != 0) {
        return status;
    }
    struct br_buf *b = br_http_begin(r);
    br_json_obj_begin(b);
    br_json_kv_u64(b, "scheduleId", rep->schedule_id != 0 ? rep->schedule_id : req.schedule_id);
    br_json_kv_u64(b, "concertId", rep->concert_id);
    br_json_key(b, "seats");
    br_json_arr_begin(b);
    for (size_t i = 0; i < rep->n_seats; i++) {
        const Boxoffice__V1__Seat *s = rep->seats[i];
        br_json_obj_begin(b);
        br_json_kv_u64(b, "seatNo", s->seat_no);
        br_json_kv_i64(b, "price", s->price);
        br_json_kv_str(b, "status",
                       bo_enum_name(&boxoffice__v1__seat_status__descriptor, s->status));
        br_json_obj_end(b);
    }
    br_json_arr_end(b);
    br_json_obj_end(b);
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return br_http_send(r, 200, NULL, NULL);
}
