/* br_catalog: concerts, a concert's schedules, a schedule's seat map (from memory when it can:
 * br_seatmaps). */
#include "br_call.h"
#include "br_json.h"
#include "br_pb.h"
#include "br_routes.h"
#include "br_seatmaps.h"

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

/* {"scheduleId","concertId","seats":[{"seatNo","price","status"}...]}: the reply is kept in
 * memory and answered from it (br_seatmaps_listed), else written from the reply by the same
 * renderer (br_seatmaps_list_write). */
const struct br_rpc br_catalog_seats_rpc = {.method = "ListSeats",
                                            .path_id = "scheduleId",
                                            .write = br_seatmaps_list_write,
                                            .after = br_seatmaps_listed};

/* br_catalog_seats answers a seat map from memory, or by br_catalog_seats_rpc. */
int br_catalog_seats(struct br_req *r)
{
    int status = br_seatmaps_answer(r, r->ids[0]);

    if (status == 0) {
        status = br_call_route(r, &br_catalog_seats_rpc);
        br_seatmaps_done(r, r->ids[0]);
    }
    return status;
}
