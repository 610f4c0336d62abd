/* br_admin: create concerts and schedules, read and tune admission (Admin-Key header). */
#include "bo_time.h"
#include "br_call.h"
#include "br_input.h"
#include "br_json.h"
#include "br_routes.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define BR_ADMIN_SEATS    50
#define BR_ADMIN_TEXT_MAX 200

/* br_admin_key returns the Admin-Key header, or "" (the service answers ADMIN_KEY_INVALID). */
static char *br_admin_key(const struct br_req *r)
{
    const char *k = br_http_header(r, "Admin-Key");
    return (char *)(k != NULL ? k : "");
}

/* br_admin_concert_write writes the new concert: 201. */
static int br_admin_concert_write(struct br_json *j, const ProtobufCMessage *msg, const void *arg)
{
    const Boxoffice__V1__CreateConcertReply *rep = (const Boxoffice__V1__CreateConcertReply *)msg;

    if (rep->concert == NULL) {
        return 0;
    }
    br_catalog_concert_json(j, rep->concert);
    return 201;
}

/* br_admin_schedule_write writes the new schedule: 201. */
static int br_admin_schedule_write(struct br_json *j, const ProtobufCMessage *msg, const void *arg)
{
    const Boxoffice__V1__CreateScheduleReply *rep = (const Boxoffice__V1__CreateScheduleReply *)msg;

    if (rep->schedule == NULL) {
        return 0;
    }
    br_catalog_schedule_json(j, rep->schedule);
    return 201;
}

/* br_admin_settings_write writes the admission settings: 200. */
static int br_admin_settings_write(struct br_json *j, const ProtobufCMessage *msg, const void *arg)
{
    const Boxoffice__V1__AdmissionSettingsReply *rep =
        (const Boxoffice__V1__AdmissionSettingsReply *)msg;
    const Boxoffice__V1__AdmissionSettings *s = rep->settings;

    if (s == NULL) {
        return 0;
    }
    br_json_obj_begin(j);
    br_json_kv_u64(j, "ratePerSecond", s->rate_per_second);
    br_json_kv_u64(j, "maxActive", s->max_active);
    br_json_kv_u64(j, "tokenTtlSeconds", s->token_ttl_seconds);
    br_json_kv_u64(j, "holdTtlSeconds", s->hold_ttl_seconds);
    br_json_obj_end(j);
    return 200;
}

int br_admin_concert_create(struct br_req *r)
{
    static const struct br_rpc rpc = {"CreateConcert", br_admin_concert_write, "a concert"};
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
    req.admin_key = br_admin_key(r);
    req.title = (char *)title;
    req.artist = (char *)artist;
    req.venue = (char *)venue;
    status = br_call_json(r, &rpc, &req.base, NULL);
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
    static const struct br_rpc rpc = {"CreateSchedule", br_admin_schedule_write, "a schedule"};
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
    req.admin_key = br_admin_key(r);
    req.concert_id = r->ids[0];
    req.starts_at_ms = starts_ms;
    req.price = price;
    req.n_seat_prices = nprices;
    req.seat_prices = nprices > 0 ? prices : NULL;
    return br_call_json(r, &rpc, &req.base, NULL);
}

int br_admin_admission_get(struct br_req *r)
{
    static const struct br_rpc rpc = {"GetAdmissionSettings", br_admin_settings_write, "settings"};
    Boxoffice__V1__GetAdmissionSettingsRequest req =
        BOXOFFICE__V1__GET_ADMISSION_SETTINGS_REQUEST__INIT;

    req.admin_key = br_admin_key(r);
    return br_call_json(r, &rpc, &req.base, NULL);
}

int br_admin_admission_set(struct br_req *r)
{
    static const struct br_rpc rpc = {"SetAdmissionSettings", br_admin_settings_write, "settings"};
    Boxoffice__V1__SetAdmissionSettingsRequest req =
        BOXOFFICE__V1__SET_ADMISSION_SETTINGS_REQUEST__INIT;
    Boxoffice__V1__AdmissionSettings settings = BOXOFFICE__V1__ADMISSION_SETTINGS__INIT;
    int64_t v[4] = {0, 0, 0, 0};
    const struct br_input_field fields[] = {
        {"ratePerSecond", 0, 1, UINT32_MAX, &v[0]},
        {"maxActive", 0, 1, UINT32_MAX, &v[1]},
        {"tokenTtlSeconds", 0, 1, UINT32_MAX, &v[2]},
        {"holdTtlSeconds", 0, 1, UINT32_MAX, &v[3]},
    };
    int status;

    if ((status = br_input_fields(r, fields, 4)) != 0) {
        return status;
    }
    settings.rate_per_second = (uint32_t)v[0];
    settings.max_active = (uint32_t)v[1];
    settings.token_ttl_seconds = (uint32_t)v[2];
    settings.hold_ttl_seconds = (uint32_t)v[3];
    req.admin_key = br_admin_key(r);
    req.settings = &settings;
    return br_call_json(r, &rpc, &req.base, NULL);
}
