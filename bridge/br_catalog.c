/* br_catalog: concerts, a concert's schedules, a schedule's seat map. */
#include "bo_enum.h"
#include "br_call.h"
#include "br_json.h"
#include "br_routes.h"

void br_catalog_concert_json(struct br_json *j, const Boxoffice__V1__Concert *c)
{
    br_json_obj_begin(j);
    br_json_kv_u64(j, "id", c->id);
    br_json_kv_str(j, "title", c->title);
    br_json_kv_str(j, "artist", c->artist);
    br_json_kv_str(j, "venue", c->venue);
    br_json_kv_u64(j, "scheduleCount", c->schedule_count);
    br_json_obj_end(j);
}

void br_catalog_schedule_json(struct br_json *j, const Boxoffice__V1__Schedule *s)
{
    br_json_obj_begin(j);
    br_json_kv_u64(j, "id", s->id);
    br_json_kv_u64(j, "concertId", s->concert_id);
    br_json_kv_time(j, "startsAt", s->starts_at_ms);
    br_json_kv_u64(j, "availableSeats", s->available_seats);
    br_json_kv_u64(j, "totalSeats", s->total_seats);
    br_json_obj_end(j);
}

/* br_catalog_seat_json writes a seat object {"seatNo","price","status"}. */
static void br_catalog_seat_json(struct br_json *j, const Boxoffice__V1__Seat *s)
{
    br_json_obj_begin(j);
    br_json_kv_u64(j, "seatNo", s->seat_no);
    br_json_kv_i64(j, "price", s->price);
    br_json_kv_str(j, "status", bo_enum_name(&boxoffice__v1__seat_status__descriptor, s->status));
    br_json_obj_end(j);
}

/* br_catalog_concerts_write writes {"concerts":[...]}. */
static int br_catalog_concerts_write(struct br_json *j, const ProtobufCMessage *msg,
                                     const void *arg)
{
    const Boxoffice__V1__ListConcertsReply *rep = (const Boxoffice__V1__ListConcertsReply *)msg;

    br_json_obj_begin(j);
    br_json_key(j, "concerts");
    br_json_arr_begin(j);
    for (size_t i = 0; i < rep->n_concerts; i++) {
        br_catalog_concert_json(j, rep->concerts[i]);
    }
    br_json_arr_end(j);
    br_json_obj_end(j);
    return 200;
}

/* br_catalog_schedules_write writes {"concertId","schedules":[...]}; arg is the request. */
static int br_catalog_schedules_write(struct br_json *j, const ProtobufCMessage *msg,
                                      const void *arg)
{
    const Boxoffice__V1__ListSchedulesReply *rep = (const Boxoffice__V1__ListSchedulesReply *)msg;
    const Boxoffice__V1__ListSchedulesRequest *req = arg;

    br_json_obj_begin(j);
    br_json_kv_u64(j, "concertId", req->concert_id);
    br_json_key(j, "schedules");
    br_json_arr_begin(j);
    for (size_t i = 0; i < rep->n_schedules; i++) {
        br_catalog_schedule_json(j, rep->schedules[i]);
    }
    br_json_arr_end(j);
    br_json_obj_end(j);
    return 200;
}

/* br_catalog_seats_write writes {"scheduleId","concertId","seats":[...]}; arg is the request. */
static int br_catalog_seats_write(struct br_json *j, const ProtobufCMessage *msg, const void *arg)
{
    const Boxoffice__V1__ListSeatsReply *rep = (const Boxoffice__V1__ListSeatsReply *)msg;
    const Boxoffice__V1__ListSeatsRequest *req = arg;

    br_json_obj_begin(j);
    br_json_kv_u64(j, "scheduleId", rep->schedule_id != 0 ? rep->schedule_id : req->schedule_id);
    br_json_kv_u64(j, "concertId", rep->concert_id);
    br_json_key(j, "seats");
    br_json_arr_begin(j);
    for (size_t i = 0; i < rep->n_seats; i++) {
        br_catalog_seat_json(j, rep->seats[i]);
    }
    br_json_arr_end(j);
    br_json_obj_end(j);
    return 200;
}

int br_catalog_concerts(struct br_req *r)
{
    static const struct br_rpc rpc = {"ListConcerts", br_catalog_concerts_write, NULL};
    Boxoffice__V1__ListConcertsRequest req = BOXOFFICE__V1__LIST_CONCERTS_REQUEST__INIT;

    return br_call_json(r, &rpc, &req.base, NULL);
}

int br_catalog_schedules(struct br_req *r)
{
    static const struct br_rpc rpc = {"ListSchedules", br_catalog_schedules_write, NULL};
    Boxoffice__V1__ListSchedulesRequest req = BOXOFFICE__V1__LIST_SCHEDULES_REQUEST__INIT;

    req.token = (char *)br_routes_token(r);
    req.concert_id = r->ids[0];
    return br_call_json(r, &rpc, &req.base, &req);
}

int br_catalog_seats(struct br_req *r)
{
    static const struct br_rpc rpc = {"ListSeats", br_catalog_seats_write, NULL};
    Boxoffice__V1__ListSeatsRequest req = BOXOFFICE__V1__LIST_SEATS_REQUEST__INIT;

    req.token = (char *)br_routes_token(r);
    req.schedule_id = r->ids[0];
    return br_call_json(r, &rpc, &req.base, &req);
}
