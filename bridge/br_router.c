/*
 * br_router: the route table and path matching (see br_router.h).
 *
 * Invariant: a path matches a pattern when it has the same number of
 * segments, literal segments are equal and "{id}" segments are non-empty;
 * ids are validated only after the method matched, so a wrong method is 405
 * whatever the ids look like.
 */
#include "br_router.h"

#include "br_push_routes.h"
#include "br_routes.h"
#include "br_status.h"

#include <civetweb.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A route: answered by handler, or, when that is NULL, by rpc (br_call_route). */
struct br_route {
    const char *method;
    const char *pattern;
    br_handler handler;
    const struct br_rpc *rpc;
};

static const struct br_route br_routes[] = {
    {"POST", "/api/v1/accounts", NULL, &br_identity_signup_rpc},
    {"POST", "/api/v1/sessions", NULL, &br_identity_login_rpc},
    {"DELETE", "/api/v1/sessions/current", NULL, &br_identity_logout_rpc},
    {"POST", "/api/v1/queue/tokens", NULL, &br_queue_issue_rpc},
    {"GET", "/api/v1/queue/tokens/current", NULL, &br_queue_current_rpc},
    {"DELETE", "/api/v1/queue/tokens/current", NULL, &br_queue_leave_rpc},
    {"GET", "/api/v1/queue/events", br_queue_events_redirect, NULL},
    {"GET", "/api/v1/queue/push", br_queue_push_info, NULL},
    {"GET", "/api/v1/concerts", NULL, &br_catalog_concerts_rpc},
    {"GET", "/api/v1/concerts/{concertId}/schedules", NULL, &br_catalog_schedules_rpc},
    {"GET", "/api/v1/schedules/{scheduleId}/sections", NULL, &br_catalog_sections_rpc},
    {"GET", "/api/v1/schedules/{scheduleId}/seats", br_catalog_seats, NULL},
    {"POST", "/api/v1/reservations", br_reservations_hold, NULL},
    {"DELETE", "/api/v1/reservations/{reservationId}", NULL, &br_reservations_release_rpc},
    {"GET", "/api/v1/users/{userId}/points", NULL, &br_points_balance_rpc},
    {"POST", "/api/v1/users/{userId}/points/charges", NULL, &br_points_charge_rpc},
    {"POST", "/api/v1/payments", NULL, &br_points_pay_rpc},
    {"POST", "/api/v1/payments/{paymentId}/refund", NULL, &br_points_refund_rpc},
    {"POST", "/api/v1/admin/concerts", NULL, &br_admin_concert_create_rpc},
    {"PATCH", "/api/v1/admin/concerts/{concertId}", NULL, &br_admin_concert_update_rpc},
    {"POST", "/api/v1/admin/concerts/{concertId}/schedules", br_admin_schedule_create, NULL},
    {"POST", "/api/v1/admin/venues", br_admin_venue_create, NULL},
    {"GET", "/api/v1/admin/admission", NULL, &br_admin_admission_get_rpc},
    {"PUT", "/api/v1/admin/admission", br_admin_admission_set, NULL},
    {"PATCH", "/api/v1/admin/admission", br_admin_admission_set, NULL},
    {"GET", "/api/v1/admin/limits", NULL, &br_admin_limits_get_rpc},
    {"PATCH", "/api/v1/admin/limits", br_admin_limits_set, NULL},
    {"GET", "/healthz", br_health_live, NULL},
    {"GET", "/readyz", NULL, &br_health_ready_rpc},
    {"GET", "/metrics", br_health_metrics, NULL},
};

#define BR_NROUTES ((int)(sizeof(br_routes) / sizeof(br_routes[0])))

/* A "{name}" segment of a path: where it is and which id it is. */
struct br_segment {
    const char *text;
    size_t len;
    const char *name;
    size_t name_len;
};

int br_router_owns(const char *path)
{
    return strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0 ||
           strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0 ||
           strcmp(path, "/metrics") == 0;
}

int br_router_count(void)
{
    return BR_NROUTES;
}

void br_router_describe(int i, const char **method, const char **pattern)
{
    if (i < 0 || i >= BR_NROUTES) {
        *method = "";
        *pattern = "unmatched";
        return;
    }
    *method = br_routes[i].method;
    *pattern = br_routes[i].pattern;
}

/* br_router_match tells whether path fits pattern, collecting its "{id}" segments. */
static int br_router_match(const char *pattern, const char *path, struct br_segment *ids, int *nids)
{
    const char *p = pattern;
    const char *s = path;

    *nids = 0;
    while (*p != '\0' && *s != '\0') {
        if (*p != '/' || *s != '/') {
            return 0;
        }
        p++;
        s++;
        size_t plen = strcspn(p, "/");
        size_t slen = strcspn(s, "/");
        if (plen > 2 && p[0] == '{' && p[plen - 1] == '}') {
            if (slen == 0 || *nids == BR_MAX_PATH_IDS) {
                return 0;
            }
            ids[*nids].text = s;
            ids[*nids].len = slen;
            ids[*nids].name = p + 1;
            ids[*nids].name_len = plen - 2;
            (*nids)++;
        } else if (plen != slen || memcmp(p, s, plen) != 0) {
            return 0;
        }
        p += plen;
        s += slen;
    }
    return *p == '\0' && *s == '\0';
}

/* br_router_id reads one path id: a whole number from 1 to INT64_MAX, digits only. */
static int br_router_id(const struct br_segment *seg, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    for (i = 0; i < seg->len; i++) {
        char c = seg->text[i];
        if (c < '0' || c > '9' || v > (uint64_t)INT64_MAX / 10) {
            break;
        }
        v = v * 10 + (uint64_t)(c - '0');
    }
    if (i != seg->len || v == 0 || v > (uint64_t)INT64_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    *out = v;
    return BO_OK;
}

/* br_router_allow adds method to the list of methods the path has (dropped when it is full). */
static void br_router_allow(struct br_router_match *m, const char *method)
{
    size_t len = strlen(m->allow);
    size_t mlen = strlen(method);

    if (len + 2 + mlen < sizeof(m->allow)) {
        snprintf(m->allow + len, sizeof(m->allow) - len, "%s%s", len > 0 ? ", " : "", method);
    }
}

int br_router_find(const char *method, const char *path, struct br_router_match *m)
{
    struct br_segment ids[BR_MAX_PATH_IDS];
    int nids = 0;

    memset(m, 0, sizeof(*m));
    m->route = BR_NROUTES;
    for (int i = 0; i < BR_NROUTES; i++) {
        if (!br_router_match(br_routes[i].pattern, path, ids, &nids)) {
            continue;
        }
        if (strcmp(br_routes[i].method, method) != 0) {
            br_router_allow(m, br_routes[i].method);
            continue;
        }
        m->route = i;
        for (int k = 0; k < nids; k++) {
            if (br_router_id(&ids[k], &m->ids[k]) != BO_OK) {
                m->bad = ids[k].text;
                m->bad_len = ids[k].len;
                m->bad_name = ids[k].name;
                m->bad_name_len = ids[k].name_len;
                return BO_E_INVALID_ARGUMENT;
            }
        }
        return BO_OK;
    }
    return m->allow[0] != '\0' ? BR_E_METHOD_NOT_ALLOWED : BO_E_NOT_FOUND;
}

int br_router_dispatch(struct br_req *r, int *route)
{
    const char *method = r->ri->request_method;
    struct br_router_match m;
    char allow[sizeof(m.allow) + 16];
    int rc = br_router_find(method, r->path, &m);

    *route = m.route;
    switch (rc) {
    case BO_OK:
        memcpy(r->ids, m.ids, sizeof(r->ids));
        if (br_routes[m.route].handler == NULL) {
            return br_call_route(r, br_routes[m.route].rpc);
        }
        return br_routes[m.route].handler(r);
    case BO_E_INVALID_ARGUMENT:
        return br_http_error(r, BO_E_INVALID_ARGUMENT,
                             "%.*s in the path must be a whole number from 1 to %lld, not '%.*s'",
                             (int)m.bad_name_len, m.bad_name, (long long)INT64_MAX,
                             (int)(m.bad_len > 40 ? 40 : m.bad_len), m.bad);
    case BR_E_METHOD_NOT_ALLOWED:
        snprintf(allow, sizeof(allow), "Allow: %s\r\n", m.allow);
        return br_http_error_hdr(r, BR_E_METHOD_NOT_ALLOWED, allow,
                                 "%.20s is not allowed on %.200s; use %s", method, r->path,
                                 m.allow);
    default:
        return br_http_error(r, BO_E_NOT_FOUND, "there is no route %.20s %.200s", method, r->path);
    }
}
