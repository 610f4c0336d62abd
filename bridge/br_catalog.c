/* br_catalog: concerts, a concert's schedules, a date's sections, a date's seat map (the whole
 * map from memory when it can: br_seatmaps; a section, the compact form and dates on venues
 * from the service). */
#include "br_call.h"
#include "br_json.h"
#include "br_pb.h"
#include "br_routes.h"
#include "br_seats.h"
#include "br_seatmaps.h"

#include <civetweb.h>
#include <string.h>

/* The longest section name (1-16 letters and digits) and query member value read. */
#define BR_CATALOG_SECTION_MAX 16
#define BR_CATALOG_VALUE_MAX   64

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

/* br_catalog_sections_write writes {"scheduleId","concertId","sections":[{"name","price",
 * "totalSeats","availableSeats","rows","seatsPerRow","firstSeatNo"}...]}. */
static int br_catalog_sections_write(struct br_json *j, const ProtobufCMessage *msg,
                                     const ProtobufCMessage *req)
{
    static const char *const keys[] = {"name", "price",       "totalSeats",  "availableSeats",
                                       "rows", "seatsPerRow", "firstSeatNo", NULL};
    const Boxoffice__V1__ListSectionsReply *rep = (const Boxoffice__V1__ListSectionsReply *)msg;
    uint64_t schedule_id = rep->schedule_id;

    if (schedule_id == 0) {
        schedule_id = ((const Boxoffice__V1__ListSectionsRequest *)req)->schedule_id;
    }
    br_json_obj_begin(j);
    br_json_kv_u64(j, "scheduleId", schedule_id);
    br_json_kv_u64(j, "concertId", rep->concert_id);
    br_seats_sections(j, rep->sections, rep->n_sections, keys);
    br_json_obj_end(j);
    return 200;
}

const struct br_rpc br_catalog_sections_rpc = {
    .method = "ListSections", .path_id = "scheduleId", .write = br_catalog_sections_write};

/* {"scheduleId","concertId","seats":[{"seatNo","price","status"}...]}: the reply is kept in
 * memory and answered from it (br_seatmaps_listed), else written from the reply by the same
 * renderer (br_seatmaps_list_write). */
const struct br_rpc br_catalog_seats_rpc = {.method = "ListSeats",
                                            .path_id = "scheduleId",
                                            .write = br_seatmaps_list_write,
                                            .after = br_seatmaps_listed};

/* A whole map in the compact form: answered by the service alone. */
static const struct br_rpc br_catalog_compact_rpc = {
    .method = "ListSeats", .path_id = "scheduleId", .write = br_seatmaps_list_write};

/* A section's seats, asked of the service in full and kept in memory (br_seatmaps_section_listed),
 * written in full or in the compact form when they could not be kept. */
static const struct br_rpc br_catalog_section_rpc = {.method = "ListSeats",
                                                     .path_id = "scheduleId",
                                                     .write = br_seatmaps_list_write,
                                                     .after = br_seatmaps_section_listed};
static const struct br_rpc br_catalog_section_compact_rpc = {.method = "ListSeats",
                                                             .path_id = "scheduleId",
                                                             .write =
                                                                 br_seatmaps_compact_full_write,
                                                             .after = br_seatmaps_section_listed};

/* br_catalog_section_ok tells whether s is a section name: 1-16 letters and digits. */
static int br_catalog_section_ok(const char *s)
{
    size_t n = strlen(s);

    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            return 0;
        }
    }
    return n >= 1 && n <= BR_CATALOG_SECTION_MAX;
}

/* br_catalog_query reads the seat map's query, "section=A" and "format=compact" each at most
 * once, into section (BR_CATALOG_SECTION_MAX + 1 bytes; "" when absent) and *compact; answers
 * 400 naming the problem for any other member, value or repeat. */
static int br_catalog_query(struct br_req *r, const char *q, char *section, int *compact)
{
    char value[BR_CATALOG_VALUE_MAX + 1];
    int seen_section = 0, seen_format = 0;

    section[0] = '\0';
    *compact = 0;
    while (*q != '\0') {
        size_t len = strcspn(q, "&");
        size_t nlen = strcspn(q, "=&");
        const char *v = nlen < len ? q + nlen + 1 : q + len;
        size_t vlen = (size_t)(q + len - v);
        int is_section = nlen == 7 && memcmp(q, "section", 7) == 0;
        int is_format = nlen == 6 && memcmp(q, "format", 6) == 0;

        if (len == 0) { /* "a=1&&b=2": an empty member */
            q++;
            continue;
        }
        if (!is_section && !is_format) {
            return br_http_error(r, BO_E_INVALID_ARGUMENT,
                                 "unknown query member \"%.*s\": the seat map takes section and "
                                 "format=compact",
                                 (int)(nlen > 40 ? 40 : nlen), q);
        }
        if ((is_section && seen_section++) || (is_format && seen_format++)) {
            return br_http_error(r, BO_E_INVALID_ARGUMENT, "%s is given more than once",
                                 is_section ? "section" : "format");
        }
        if (vlen > BR_CATALOG_VALUE_MAX ||
            mg_url_decode(v, (int)vlen, value, (int)sizeof(value), 1) < 0) {
            value[0] = '\1'; /* too long: fails both checks below */
            value[1] = '\0';
        }
        if (is_section && !br_catalog_section_ok(value)) {
            return br_http_error(r, BO_E_INVALID_ARGUMENT,
                                 "section must be a section's name, 1 to %d letters and digits",
                                 BR_CATALOG_SECTION_MAX);
        }
        if (is_section) {
            strcpy(section, value);
        } else if (strcmp(value, "compact") == 0) {
            *compact = 1;
        } else {
            return br_http_error(r, BO_E_INVALID_ARGUMENT,
                                 "format must be compact (one status letter per seat), or be left "
                                 "out for the seats with their prices");
        }
        q += len + (q[len] == '&');
    }
    return 0;
}

/* br_catalog_seats answers a seat map: without a query, or of a section, from memory or by an
 * rpc that the memory learns from; a whole map in the compact form by the service. */
int br_catalog_seats(struct br_req *r)
{
    Boxoffice__V1__ListSeatsRequest req = BOXOFFICE__V1__LIST_SEATS_REQUEST__INIT;
    char section[BR_CATALOG_SECTION_MAX + 1];
    const char *q = r->ri->query_string;
    int compact = 0;
    int status;

    if (q == NULL || q[0] == '\0') {
        status = br_seatmaps_answer(r, r->ids[0]);
        if (status == 0) {
            status = br_call_route(r, &br_catalog_seats_rpc);
            br_seatmaps_done(r, r->ids[0]);
        }
        return status;
    }
    if ((status = br_catalog_query(r, q, section, &compact)) != 0) {
        return status;
    }
    if (section[0] == '\0') {
        req.compact = compact;
        return br_call_json(r, &br_catalog_compact_rpc, &req.base);
    }
    status = br_seatmaps_answer_section(r, r->ids[0], section, compact);
    if (status == 0) {
        req.section = section; /* in full: the memory keeps every seat's reservation */
        status = br_call_json(
            r, compact ? &br_catalog_section_compact_rpc : &br_catalog_section_rpc, &req.base);
        br_seatmaps_done(r, r->ids[0]);
    }
    return status;
}
