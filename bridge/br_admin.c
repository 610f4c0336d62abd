/* br_admin: create concerts and schedules, read and tune admission (Admin-Key header). */
#include "bo_time.h"
#include "br_call.h"
#include "br_input.h"
#include "br_routes.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define BR_ADMIN_SEATS    50
#define BR_ADMIN_TEXT_MAX 200

int br_admin_concert_create(struct br_req *r)
{
    static const struct br_rpc rpc = {
        .method = "CreateConcert", .body = "concert", .status = 201, .needs = "a concert"};
    Boxoffice__V1__CreateConcertRequest req = BOXOFFICE__V1__CREATE_CONCERT_REQUEST__INIT;
    cJSON *body = NULL;
    const char *title = NULL;
    const char *artist = NULL;
    const char *venue = NULL;
    int status;

    if ((status = br_input_object(r, &body)) != 0) {
        return status;
    }
    if ((status = br_input_string(r, body, "title", BR_ADMIN_TEXT_MAX, &title)) != 0 ||
        (status = br_input_string(r, body, "artist", BR_ADMIN_TEXT_MAX, &artist)) != 0 ||
        (status = br_input_string(r, body, "venue", BR_ADMIN_TEXT_MAX, &venue)) != 0) {
        cJSON_Delete(body);
        return status;
    }
    req.title = (char *)title;
    req.artist = (char *)artist;
    req.venue = (char *)venue;
    status = br_call_json(r, &rpc, &req.base);
    cJSON_Delete(body); /* title, artist and venue point into it */
    return status;
}

/* br_admin_seat_prices reads the optional "seatPrices" (exactly 50 whole numbers >= 0) into
 * prices; *n is 0 when absent. */
static int br_admin_seat_prices(struct br_req *r, const cJSON *body, int64_t *prices, size_t *n)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(body, "seatPrices");
    const cJSON *item;
    char name[32];
    size_t i = 0;
    int status;

    *n = 0;
    if (arr == NULL || cJSON_IsNull(arr)) {
        return 0;
    }
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != BR_ADMIN_SEATS) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT,
                             "seatPrices must be an array of exactly %d whole numbers >= 0 "
                             "(seat 1 first), or be left out",
                             BR_ADMIN_SEATS);
    }
    cJSON_ArrayForEach(item, arr)
    {
        snprintf(name, sizeof(name), "seatPrices[%zu]", i);
        if ((status = br_input_number(r, item, name, 0, BR_INPUT_MAX_SAFE, &prices[i])) != 0) {
            return status;
        }
        i++;
    }
    *n = i;
    return 0;
}

int br_admin_schedule_create(struct br_req *r)
{
    static const struct br_rpc rpc = {.method = "CreateSchedule",
                                      .path_id = "concertId",
                                      .body = "schedule",
                                      .status = 201,
                                      .needs = "a schedule"};
    Boxoffice__V1__CreateScheduleRequest req = BOXOFFICE__V1__CREATE_SCHEDULE_REQUEST__INIT;
    int64_t prices[BR_ADMIN_SEATS];
    cJSON *body = NULL;
    const char *starts = NULL;
    int64_t starts_ms = 0;
    int64_t price = 0;
    size_t nprices = 0;
    int status;

    if ((status = br_input_object(r, &body)) != 0) {
        return status;
    }
    if ((status = br_input_string(r, body, "startsAt", 64, &starts)) == 0 &&
        bo_time_parse_rfc3339(starts, &starts_ms) != 0) {
        status = br_http_error(r, BO_E_INVALID_ARGUMENT,
                               "startsAt must be an RFC 3339 time such as "
                               "\"2026-11-25T19:30:00Z\", not \"%.64s\"",
                               starts);
    }
    if (status == 0) {
        status = br_input_int(r, body, "price", 1, 0, BR_INPUT_MAX_SAFE, &price, NULL);
    }
    if (status == 0) {
        status = br_admin_seat_prices(r, body, prices, &nprices);
    }
    cJSON_Delete(body);
    if (status != 0) {
        return status;
    }
    req.starts_at_ms = starts_ms;
    req.price = price;
    req.n_seat_prices = nprices;
    req.seat_prices = nprices > 0 ? prices : NULL;
    return br_call_json(r, &rpc, &req.base);
}

const struct br_rpc br_admin_admission_get_rpc = {
    .method = "GetAdmissionSettings", .body = "settings", .status = 200, .needs = "settings"};

int br_admin_admission_set(struct br_req *r)
{
    static const struct br_rpc rpc = {
        .method = "SetAdmissionSettings", .body = "settings", .status = 200, .needs = "settings"};
    static const struct br_input_field fields[] = {{"ratePerSecond", 0, 1, UINT32_MAX},
                                                   {"maxActive", 0, 1, UINT32_MAX},
                                                   {"tokenTtlSeconds", 0, 1, UINT32_MAX},
                                                   {"holdTtlSeconds", 0, 1, UINT32_MAX},
                                                   {NULL, 0, 0, 0}};
    Boxoffice__V1__SetAdmissionSettingsRequest req =
        BOXOFFICE__V1__SET_ADMISSION_SETTINGS_REQUEST__INIT;
    Boxoffice__V1__AdmissionSettings settings = BOXOFFICE__V1__ADMISSION_SETTINGS__INIT;
    int status;

    if ((status = br_input_message(r, fields, &settings.base)) != 0) {
        return status;
    }
    req.settings = &settings;
    return br_call_json(r, &rpc, &req.base);
}
