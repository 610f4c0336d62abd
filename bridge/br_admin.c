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

int br_admin_concert_create(struct br_req *r)
{
    Boxoffice__V1__CreateConcertRequest req = BOXOFFICE__V1__CREATE_CONCERT_REQUEST__INIT;
    Boxoffice__V1__CreateConcertReply *rep = NULL;
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
    status = br_call(r, "CreateConcert", &req.base, (ProtobufCMessage **)&rep);
    cJSON_Delete(body); /* title, artist and venue point into it */
    if (status != 0) {
        return status;
    }
    if (rep->concert == NULL) {
        protobuf_c_message_free_unpacked(&rep->base, NULL);
        return br_http_error(r, BO_E_INTERNAL, "the service answered without a concert");
    }
    br_catalog_concert_json(br_http_begin(r), rep->concert);
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return br_http_send(r, 201, NULL, NULL);
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
    Boxoffice__V1__CreateScheduleRequest req = BOXOFFICE__V1__CREATE_SCHEDULE_REQUEST__INIT;
    Boxoffice__V1__CreateScheduleReply *rep = NULL;
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
    if ((status = br_call(r, "CreateSchedule", &req.base, (ProtobufCMessage **)&rep)) != 0) {
        return status;
    }
    if (rep->schedule == NULL) {
        protobuf_c_message_free_unpacked(&rep->base, NULL);
        return br_http_error(r, BO_E_INTERNAL, "the service answered without a schedule");
    }
    br_catalog_schedule_json(br_http_begin(r), rep->schedule);
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return br_http_send(r, 201, NULL, NULL);
}

/* br_admin_settings_send answers 200 with settings s. */
static int br_admin_settings_send(struct br_req *r, const Boxoffice__V1__AdmissionSettings *s)
{
    if (s == NULL) {
        return br_http_error(r, BO_E_INTERNAL, "the service answered without settings");
    }
    struct br_buf *b = br_http_begin(r);
    br_json_obj_begin(b);
    br_json_kv_u64(b, "ratePerSecond", s->rate_per_second);
    br_json_kv_u64(b, "maxActive", s->max_active);
    br_json_kv_u64(b, "tokenTtlSeconds", s->token_ttl_seconds);
    br_json_kv_u64(b, "holdTtlSeconds", s->hold_ttl_seconds);
    br_json_obj_end(b);
    return br_http_send(r, 200, NULL, NULL);
}

int br_admin_admission_get(struct br_req *r)
{
    Boxoffice__V1__GetAdmissionSettingsRequest req =
        BOXOFFICE__V1__GET_ADMISSION_SETTINGS_REQUEST__INIT;
    Boxoffice__V1__AdmissionSettingsReply *rep = NULL;
    int status;

    req.admin_key = br_admin_key(r);
    if ((status = br_call(r, "GetAdmissionSettings", &req.base, (ProtobufCMessage **)&rep)) != 0) {
        return status;
    }
    status = br_admin_settings_send(r, rep->settings);
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return status;
}

int br_admin_admission_set(struct br_req *r)
{
    static const char *const names[] = {"ratePerSecond", "maxActive", "tokenTtlSeconds",
                                        "holdTtlSeconds"};
    Boxoffice__V1__SetAdmissionSettingsRequest req =
        BOXOFFICE__V1__SET_ADMISSION_SETTINGS_REQUEST__INIT;
    Boxoffice__V1__AdmissionSettings settings = BOXOFFICE__V1__ADMISSION_SETTINGS__INIT;
    Boxoffice__V1__AdmissionSettingsReply *rep = NULL;
    int64_t v[4] = {0, 0, 0, 0};
    cJSON *body = NULL;
    int status;

    if ((status = br_input_object(r, &body)) != 0) {
        return status;
    }
    for (size_t i = 0; i < 4 && status == 0; i++) {
        status = br_input_int(r, body, names[i], 0, 1, UINT32_MAX, &v[i], NULL);
    }
    cJSON_Delete(body);
    if (status != 0) {
        return status;
    }
    settings.rate_per_second = (uint32_t)v[0];
    settings.max_active = (uint32_t)v[1];
    settings.token_ttl_seconds = (uint32_t)v[2];
    settings.hold_ttl_seconds = (uint32_t)v[3];
    req.admin_key = br_admin_key(r);
    req.settings = &settings;
    if ((status = br_call(r, "SetAdmissionSettings", &req.base, (ProtobufCMessage **)&rep)) != 0) {
        return status;
    }
    status = br_admin_settings_send(r, rep->settings);
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return status;
}
