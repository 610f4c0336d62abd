/* br_reservations: hold seats (POST /api/v1/reservations: one seat, several, or the best
 * available of a section), release a hold (DELETE .../{id}). */
#include "br_call.h"
#include "br_input.h"
#include "br_json.h"
#include "br_pb.h"
#include "br_routes.h"
#include "br_seatmaps.h"
#include "br_seats.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The most seats one hold may name: the ceiling of the maxSeatsPerHold setting (the service
 * refuses more than the setting's value), and the longest section name. */
#define BR_RESERVATIONS_SEATS_MAX   10
#define BR_RESERVATIONS_SECTION_MAX 16

/* A reservation's members; "seats" follows them when br_seats_listed says so. */
static const char *const br_reservations_keys[] = {
    "reservationId=id", "status",     "expiresAt", "price",  "userId",
    "concertId",        "scheduleId", "seatNo",    "heldAt", NULL};

/* br_reservations_write writes the reservation of a HoldSeat or ReleaseHold reply with its
 * seats when they are listed; returns status, or 0 without a reservation. */
static int br_reservations_write(struct br_json *j, const Boxoffice__V1__Reservation *res,
                                 int status)
{
    if (res == NULL) {
        return 0;
    }
    br_json_obj_begin(j);
    br_pb_json_members(j, &res->base, br_reservations_keys);
    if (br_seats_listed(res->seats, res->n_seats)) {
        br_seats_member(j, res->seats, res->n_seats);
    }
    br_json_obj_end(j);
    return status;
}

/* br_reservations_held_write writes a HoldSeat reply: 201. */
static int br_reservations_held_write(struct br_json *j, const ProtobufCMessage *rep,
                                      const ProtobufCMessage *req)
{
    (void)req;
    return br_reservations_write(j, ((const Boxoffice__V1__HoldSeatReply *)rep)->reservation, 201);
}

/* br_reservations_released_write writes a ReleaseHold reply: 200. */
static int br_reservations_released_write(struct br_json *j, const ProtobufCMessage *rep,
                                          const ProtobufCMessage *req)
{
    (void)req;
    return br_reservations_write(j, ((const Boxoffice__V1__ReleaseHoldReply *)rep)->reservation,
                                 200);
}

/* br_reservations_present tells whether body has member name, not null. */
static int br_reservations_present(const cJSON *body, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(body, name);

    return item != NULL && !cJSON_IsNull(item);
}

/* br_reservations_seat_nos reads "seatNos" (1..BR_RESERVATIONS_SEATS_MAX distinct seat numbers)
 * into seat_nos, *n of them. */
static int br_reservations_seat_nos(struct br_req *r, const cJSON *body, uint32_t *seat_nos,
                                    size_t *n)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(body, "seatNos");
    const cJSON *item;
    char name[32];
    size_t i = 0;
    int status;

    if (!cJSON_IsArray(arr)) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT,
                             "seatNos must be an array of 1 to maxSeatsPerHold distinct seat "
                             "numbers");
    }
    if (cJSON_GetArraySize(arr) == 0) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT,
                             "seatNos must not be empty: name 1 to maxSeatsPerHold seats");
    }
    if (cJSON_GetArraySize(arr) > BR_RESERVATIONS_SEATS_MAX) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT,
                             "seatNos names %d seats: a hold takes at most maxSeatsPerHold "
                             "(never more than %d)",
                             cJSON_GetArraySize(arr), BR_RESERVATIONS_SEATS_MAX);
    }
    cJSON_ArrayForEach(item, arr)
    {
        int64_t v = 0;
        snprintf(name, sizeof(name), "seatNos[%zu]", i);
        if ((status = br_input_number(r, item, name, 1, UINT32_MAX, &v)) != 0) {
            return status;
        }
        for (size_t k = 0; k < i; k++) {
            if (seat_nos[k] == (uint32_t)v) {
                return br_http_error(r, BO_E_INVALID_ARGUMENT,
                                     "seatNos names seat %lld twice (seatNos[%zu] and "
                                     "seatNos[%zu]): each seat once",
                                     (long long)v, k, i);
            }
        }
        seat_nos[i++] = (uint32_t)v;
    }
    *n = i;
    return 0;
}

/* br_reservations_best reads best available: "section", "quantity" (1..the ceiling of
 * maxSeatsPerHold) and "together" (true or false, true when left out) into req. */
static int br_reservations_best(struct br_req *r, const cJSON *body,
                                Boxoffice__V1__HoldSeatRequest *req)
{
    const cJSON *together = cJSON_GetObjectItemCaseSensitive(body, "together");
    const char *section = NULL;
    int64_t quantity = 0;
    int status;

    if ((status = br_input_string(r, body, "section", BR_RESERVATIONS_SECTION_MAX, &section)) !=
            0 ||
        (status = br_input_int(r, body, "quantity", 1, 1, BR_RESERVATIONS_SEATS_MAX, &quantity,
                               NULL)) != 0) {
        return status;
    }
    if (together != NULL && !cJSON_IsNull(together) && !cJSON_IsBool(together)) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT,
                             "together must be true or false (true when left out)");
    }
    req->section = (char *)section; /* borrowed from r->json */
    req->quantity = (uint32_t)quantity;
    req->together = together == NULL || cJSON_IsNull(together) || cJSON_IsTrue(together);
    return 0;
}

/* The hold's rpc: its request is read by br_reservations_hold. */
const struct br_rpc br_reservations_hold_rpc = {.method = "HoldSeat",
                                                .write = br_reservations_held_write,
                                                .needs = "a reservation",
                                                .after = br_seatmaps_reserved};

int br_reservations_hold(struct br_req *r)
{
    static const char forms[] = "a hold takes exactly one of seatNo (one seat), seatNos (several "
                                "seats) or section with quantity (and together: best available)";
    Boxoffice__V1__HoldSeatRequest req = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;
    uint32_t seat_nos[BR_RESERVATIONS_SEATS_MAX];
    const cJSON *body = NULL;
    int64_t schedule = 0, seat = 0;
    int status;

    if ((status = br_input_object(r, &body)) != 0 ||
        (status = br_input_int(r, body, "scheduleId", 1, 1, BR_INPUT_MAX_SAFE, &schedule, NULL)) !=
            0) {
        return status;
    }
    req.schedule_id = (uint64_t)schedule;
    int one = br_reservations_present(body, "seatNo");
    int several = br_reservations_present(body, "seatNos");
    int best = br_reservations_present(body, "section") ||
               br_reservations_present(body, "quantity") ||
               br_reservations_present(body, "together");
    if (one + several + best != 1) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT, "%s%s", forms,
                             one + several + best > 1 ? ", not several of them" : "");
    }
    if (one) {
        if ((status = br_input_int(r, body, "seatNo", 1, 1, UINT32_MAX, &seat, NULL)) != 0) {
            return status;
        }
        req.seat_no = (uint32_t)seat;
    } else if (several) {
        if ((status = br_reservations_seat_nos(r, body, seat_nos, &req.n_seat_nos)) != 0) {
            return status;
        }
        req.seat_nos = seat_nos;
    } else if ((status = br_reservations_best(r, body, &req)) != 0) {
        return status;
    }
    return br_call_json(r, &br_reservations_hold_rpc, &req.base);
}

const struct br_rpc br_reservations_release_rpc = {.method = "ReleaseHold",
                                                   .path_id = "reservationId",
                                                   .write = br_reservations_released_write,
                                                   .needs = "a reservation",
                                                   .after = br_seatmaps_reserved};
