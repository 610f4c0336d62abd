/* br_catalog: concerts, a concert's schedules, a schedule's seat map. */
#include "br_call.h"
#include "br_json.h"
#include "br_pb.h"
#include "br_routes.h"

/* br_catalog_schedules_write writes {"concertId","schedules":[...]}: the concert asked for. */
static int br_catalog_schedules_write(struct br_json *j, const ProtobufCMessage *rep,
                                      const ProtobufCMessage *req)
{
    br_json_obj_begin(j);
    br_json_kv_u64(j, "concertId", ((const Boxoffice__V1__ListSchedulesRequest *)req)->concert_id);
    br_pb_json_members(j, rep, NULL);
    br_json_obj_end(j);
    return 200;
}

/* {"concerts":[{"id","title","artist","venue","scheduleCount"}...]} */
const struct br_rpc br_catalog_concerts_rpc = {.method = "ListConcerts", .status = 200};

const struct br_rpc br_catalog_schedules_rpc = {
    .method = "ListSchedules", .path_id = "concertId", .write = br_catalog_schedules_write};

/* {"scheduleId","concertId","seats":[{"seatNo","price","status"}...]} */
const struct br_rpc br_catalog_seats_rpc = {
    .method = "ListSeats", .path_id = "scheduleId", .echo = "scheduleId", .status = 200};
