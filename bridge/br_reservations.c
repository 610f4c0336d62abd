/* br_reservations: hold a seat (POST /api/v1/reservations), release a hold (DELETE .../{id}). */
#include "br_call.h"
#include "br_input.h"
#include "br_routes.h"
#include "br_seatmaps.h"

#include <stdint.h>

/* A reservation's members. */
static const char *const br_reservations_keys[] = {
    "reservationId=id", "status",     "expiresAt", "price",  "userId",
    "concertId",        "scheduleId", "seatNo",    "heldAt", NULL};

static const struct br_input_field br_reservations_hold_input[] = {
    {"scheduleId", 1, 1, BR_INPUT_MAX_SAFE, BR_INPUT_INT},
    {"seatNo", 1, 1, UINT32_MAX, BR_INPUT_INT},
    {NULL, 0, 0, 0, BR_INPUT_INT}};

const struct br_rpc br_reservations_hold_rpc = {.method = "HoldSeat",
                                                .input = br_reservations_hold_input,
                                                .body = "reservation",
                                                .keys = br_reservations_keys,
                                                .status = 201,
                                                .needs = "a reservation",
                                                .after = br_seatmaps_reserved};

const struct br_rpc br_reservations_release_rpc = {.method = "ReleaseHold",
                                                   .path_id = "reservationId",
                                                   .body = "reservation",
                                                   .keys = br_reservations_keys,
                                                   .status = 200,
                                                   .needs = "a reservation",
                                                   .after = br_seatmaps_reserved};
