/* br_admin: concerts (created, their sale opening moved), venues and schedules created,
 * admission and limits (rates and push connection caps) read and tuned (Admin-Key header). */
#include "br_call.h"
#include "br_input.h"
#include "br_pb.h"
#include "br_routes.h"
#include "br_seats.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BR_ADMIN_SEATS    50
#define BR_ADMIN_TEXT_MAX 200

/* A venue: at most this many sections, each of 1-16 letters and digits, of at most this many
 * seats in all (the service checks the names and the sum). */
#define BR_ADMIN_SECTIONS_MAX    64
#define BR_ADMIN_SECTION_NAME    16
#define BR_ADMIN_VENUE_SEATS_MAX 100000

static const struct br_input_field br_admin_concert_input[] = {
    {"title", 1, 1, BR_ADMIN_TEXT_MAX, BR_INPUT_STRING},
    {"artist", 1, 1, BR_ADMIN_TEXT_MAX, BR_INPUT_STRING},
    {"venue", 1, 1, BR_ADMIN_TEXT_MAX, BR_INPUT_STRING},
    {"saleOpensAt", 0, 0, 0, BR_INPUT_TIME},
    {NULL, 0, 0, 0, BR_INPUT_INT}};

/* {"id","title","artist","venue","scheduleCount","saleOpensAt"} */
const struct br_rpc br_admin_concert_create_rpc = {.method = "CreateConcert",
                                                   .input = br_admin_concert_input,
                                                   .body = "concert",
                                                   .status = 201,
                                                   .needs = "a concert"};

/* PATCH .../concerts/{id} {"saleOpensAt": time or null}: the member must be there. */
static const struct br_input_field br_admin_concert_update_input[] = {
    {"saleOpensAt", 1, 0, 0, BR_INPUT_TIME}, {NULL, 0, 0, 0, BR_INPUT_INT}};

const struct br_rpc br_admin_concert_update_rpc = {.method = "UpdateConcert",
                                                   .input = br_admin_concert_update_input,
                                                   .path_id = "concertId",
                                                   .body = "concert",
                                                   .status = 200,
                                                   .needs = "a concert"};

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

/* br_admin_section_int reads member name of section i (obj) as a whole number in min..max. */
static int br_admin_section_int(struct br_req *r, const cJSON *obj, size_t i, const char *name,
                                int64_t min, int64_t max, int64_t *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    char what[64];

    snprintf(what, sizeof(what), "sections[%zu].%s", i, name);
    if (item == NULL || cJSON_IsNull(item)) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT,
                             "%s is required: a whole number from %lld to %lld", what,
                             (long long)min, (long long)max);
    }
    return br_input_number(r, item, what, min, max, out);
}

/* br_admin_section reads section i of a venue (obj: {"name","rows","seatsPerRow","price"}, no
 * other member) into sec; its name borrows from obj. */
static int br_admin_section(struct br_req *r, const cJSON *obj, size_t i,
                            Boxoffice__V1__Section *sec)
{
    static const char *const members[] = {"name", "rows", "seatsPerRow", "price", NULL};
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(obj, "name");
    const cJSON *item;
    int64_t rows = 0, per_row = 0, price = 0;
    int status;

    if (!cJSON_IsObject(obj)) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT,
                             "sections[%zu] must be an object {\"name\",\"rows\",\"seatsPerRow\","
                             "\"price\"}",
                             i);
    }
    cJSON_ArrayForEach(item, obj)
    {
        const char *const *m = members;
        while (*m != NULL && strcmp(*m, item->string) != 0) {
            m++;
        }
        if (*m == NULL) {
            return br_http_error(r, BO_E_INVALID_ARGUMENT,
                                 "unknown member \"%.64s\" in sections[%zu]: a section takes "
                                 "name, rows, seatsPerRow and price",
                                 item->string, i);
        }
    }
    if (!cJSON_IsString(name) || name->valuestring[0] == '\0' ||
        strlen(name->valuestring) > BR_ADMIN_SECTION_NAME) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT,
                             "sections[%zu].name is required: 1 to %d letters and digits", i,
                             BR_ADMIN_SECTION_NAME);
    }
    if ((status = br_admin_section_int(r, obj, i, "rows", 1, BR_ADMIN_VENUE_SEATS_MAX, &rows)) !=
            0 ||
        (status = br_admin_section_int(r, obj, i, "seatsPerRow", 1, BR_ADMIN_VENUE_SEATS_MAX,
                                       &per_row)) != 0 ||
        (status = br_admin_section_int(r, obj, i, "price", 0, BR_INPUT_MAX_SAFE, &price)) != 0) {
        return status;
    }
    sec->name = name->valuestring;
    sec->rows = (uint32_t)rows;
    sec->seats_per_row = (uint32_t)per_row;
    sec->price = price;
    return 0;
}

/* br_admin_venue_write writes {"id","name","capacity","sections":[{"name","rows",
 * "seatsPerRow","price","firstSeatNo","totalSeats"}...]}: 201. */
static int br_admin_venue_write(struct br_json *j, const ProtobufCMessage *msg,
                                const ProtobufCMessage *req)
{
    static const char *const keys[] = {"name",        "rows",       "seatsPerRow", "price",
                                       "firstSeatNo", "totalSeats", NULL};
    const Boxoffice__V1__Venue *v = ((const Boxoffice__V1__CreateVenueReply *)msg)->venue;

    (void)req;
    if (v == NULL) {
        return 0;
    }
    br_json_obj_begin(j);
    br_json_kv_u64(j, "id", v->id);
    br_json_kv_str(j, "name", v->name);
    br_json_kv_u64(j, "capacity", v->capacity);
    br_seats_sections(j, v->sections, v->n_sections, keys);
    br_json_obj_end(j);
    return 201;
}

int br_admin_venue_create(struct br_req *r)
{
    static const struct br_rpc rpc = {
        .method = "CreateVenue", .write = br_admin_venue_write, .needs = "a venue"};
    static const struct br_input_field fields[] = {
        {"name", 1, 1, BR_ADMIN_TEXT_MAX, BR_INPUT_STRING},
        {"sections", 0, 0, 0, BR_INPUT_INT}, /* read below */
        {NULL, 0, 0, 0, BR_INPUT_INT}};
    Boxoffice__V1__CreateVenueRequest req = BOXOFFICE__V1__CREATE_VENUE_REQUEST__INIT;
    Boxoffice__V1__Section secs[BR_ADMIN_SECTIONS_MAX];
    Boxoffice__V1__Section *ptrs[BR_ADMIN_SECTIONS_MAX];
    const cJSON *body = NULL;
    const cJSON *arr, *item;
    const char *name = NULL;
    size_t n = 0;
    int status;

    if ((status = br_input_object(r, &body)) != 0 || (status = br_input_only(r, fields)) != 0 ||
        (status = br_input_string(r, body, "name", BR_ADMIN_TEXT_MAX, &name)) != 0) {
        return status;
    }
    arr = cJSON_GetObjectItemCaseSensitive(body, "sections");
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1 ||
        cJSON_GetArraySize(arr) > BR_ADMIN_SECTIONS_MAX) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT,
                             "sections is required: an array of 1 to %d sections "
                             "{\"name\",\"rows\",\"seatsPerRow\",\"price\"}",
                             BR_ADMIN_SECTIONS_MAX);
    }
    cJSON_ArrayForEach(item, arr)
    {
        secs[n] = (Boxoffice__V1__Section)BOXOFFICE__V1__SECTION__INIT;
        if ((status = br_admin_section(r, item, n, &secs[n])) != 0) {
            return status;
        }
        ptrs[n] = &secs[n];
        n++;
    }
    req.name = (char *)name; /* borrowed from r->json */
    req.sections = ptrs;
    req.n_sections = n;
    return br_call_json(r, &rpc, &req.base);
}

/* br_admin_schedule_venue reads "venueId" into *venue (0 when absent); a date on a venue takes
 * its seats and prices from it, so price and seatPrices must then be left out. */
static int br_admin_schedule_venue(struct br_req *r, const cJSON *body, int64_t *venue)
{
    int present = 0;
    int status = br_input_int(r, body, "venueId", 0, 1, BR_INPUT_MAX_SAFE, venue, &present);

    if (status != 0 || !present) {
        return status;
    }
    if (cJSON_GetObjectItemCaseSensitive(body, "price") != NULL ||
        cJSON_GetObjectItemCaseSensitive(body, "seatPrices") != NULL) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT,
                             "a date on a venue (venueId) takes its prices from the venue's "
                             "sections: leave price and seatPrices out");
    }
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
    const cJSON *body = NULL;
    int64_t starts_ms = 0;
    int64_t price = 0;
    int64_t venue = 0;
    size_t nprices = 0;
    int status;

    if ((status = br_input_object(r, &body)) != 0 ||
        (status = br_input_time(r, body, "startsAt", 1, 0, &starts_ms)) != 0 ||
        (status = br_admin_schedule_venue(r, body, &venue)) != 0 ||
        (venue == 0 &&
         (status = br_input_int(r, body, "price", 1, 0, BR_INPUT_MAX_SAFE, &price, NULL)) != 0) ||
        (status = br_admin_seat_prices(r, body, prices, &nprices)) != 0) {
        return status;
    }
    req.starts_at_ms = starts_ms;
    req.price = price;
    req.venue_id = (uint64_t)venue;
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
    static const struct br_input_field fields[] = {
        {"ratePerSecond", 0, 1, UINT32_MAX, BR_INPUT_INT},
        {"maxActive", 0, 1, UINT32_MAX, BR_INPUT_INT},
        {"tokenTtlSeconds", 0, 1, UINT32_MAX, BR_INPUT_INT},
        {"holdTtlSeconds", 0, 1, UINT32_MAX, BR_INPUT_INT},
        {"maxSeatsPerHold", 0, 1, 10, BR_INPUT_INT},
        {NULL, 0, 0, 0, BR_INPUT_INT}};
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

/* Every limit, as GET answers them and PATCH takes them: rates per minute, then the push
 * listener's caps on open connections, then the edge's cap on open REST connections per
 * client address; 0 = off. */
static const struct br_input_field br_admin_limits_fields[] = {
    {"userLoginsPerMinute", 0, 0, UINT32_MAX, BR_INPUT_INT},
    {"userTokenIssuesPerMinute", 0, 0, UINT32_MAX, BR_INPUT_INT},
    {"userHoldsPerMinute", 0, 0, UINT32_MAX, BR_INPUT_INT},
    {"userChargesPerMinute", 0, 0, UINT32_MAX, BR_INPUT_INT},
    {"addressSignupsPerMinute", 0, 0, UINT32_MAX, BR_INPUT_INT},
    {"addressLoginsPerMinute", 0, 0, UINT32_MAX, BR_INPUT_INT},
    {"addressTokenIssuesPerMinute", 0, 0, UINT32_MAX, BR_INPUT_INT},
    {"addressHoldsPerMinute", 0, 0, UINT32_MAX, BR_INPUT_INT},
    {"addressChargesPerMinute", 0, 0, UINT32_MAX, BR_INPUT_INT},
    {"addressPushConnections", 0, 0, UINT32_MAX, BR_INPUT_INT},
    {"tokenPushConnections", 0, 0, UINT32_MAX, BR_INPUT_INT},
    {"addressRestConnections", 0, 0, UINT32_MAX, BR_INPUT_INT},
    {NULL, 0, 0, 0, BR_INPUT_INT}};

const struct br_rpc br_admin_limits_get_rpc = {
    .method = "GetLimits", .body = "limits", .status = 200, .needs = "limits"};

int br_admin_limits_set(struct br_req *r)
{
    static const struct br_rpc rpc = {
        .method = "SetLimits", .body = "limits", .status = 200, .needs = "limits"};
    Boxoffice__V1__SetLimitsRequest req = BOXOFFICE__V1__SET_LIMITS_REQUEST__INIT;
    Boxoffice__V1__Limits limits = BOXOFFICE__V1__LIMITS__INIT;
    const cJSON *body = NULL;
    int64_t unused;
    int status;

    if ((status = br_input_object(r, &body)) != 0 ||
        (status = br_input_only(r, br_admin_limits_fields)) != 0 ||
        (status = br_input_message(r, br_admin_limits_fields, &limits.base)) != 0) {
        return status;
    }
    /* The limits sent change, the others stay: bit n - 1 for field number n. */
    for (const struct br_input_field *f = br_admin_limits_fields; f->name != NULL; f++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(body, f->name);
        unsigned number = br_pb_field_number(&limits.base, f->name);
        if (item == NULL) {
            continue;
        }
        if (cJSON_IsNull(item)) { /* a limit is a number: 0 turns it off */
            return br_input_number(r, item, f->name, f->min, f->max, &unused);
        }
        if (number == 0 || number > 32) {
            return br_http_error(r, BO_E_INTERNAL, "Limits has no field %s", f->name);
        }
        req.fields_set |= 1u << (number - 1);
    }
    req.limits = &limits;
    return br_call_json(r, &rpc, &req.base);
}
