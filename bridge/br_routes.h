/*
 * br_routes: the REST handlers, one file per route group, and the JSON shapes
 * more than one group writes. Each handler answers the request and returns
 * the HTTP status it wrote.
 */
#ifndef BR_ROUTES_H
#define BR_ROUTES_H

#include "bo_error.h"
#include "boxoffice/v1/boxoffice.pb-c.h"
#include "br_json.h"
#include "br_http.h"

/* br_queue.c */
int br_queue_issue(struct br_req *r);
int br_queue_current(struct br_req *r);

/* br_catalog.c */
int br_catalog_concerts(struct br_req *r);
int br_catalog_schedules(struct br_req *r);
int br_catalog_seats(struct br_req *r);

/* br_catalog_concert_json writes a concert object {"id","title","artist","venue",...}. */
void br_catalog_concert_json(struct br_json *j, const Boxoffice__V1__Concert *c);

/* br_catalog_schedule_json writes a schedule object {"id","concertId","startsAt",...}. */
void br_catalog_schedule_json(struct br_json *j, const Boxoffice__V1__Schedule *s);

/* br_reservations.c */
int br_reservations_hold(struct br_req *r);
int br_reservations_release(struct br_req *r);

/* br_points.c (points and payments) */
int br_points_balance(struct br_req *r);
int br_points_charge(struct br_req *r);
int br_points_pay(struct br_req *r);

/* br_admin.c */
int br_admin_concert_create(struct br_req *r);
int br_admin_schedule_create(struct br_req *r);
int br_admin_admission_get(struct br_req *r);
int br_admin_admission_set(struct br_req *r);

/* br_health.c */
int br_health_live(struct br_req *r);
int br_health_ready(struct br_req *r);
int br_health_metrics(struct br_req *r);

/* br_routes_token returns the Queue-Token header, or "" when absent (the service answers
 * TOKEN_MISSING). Borrowed until the request ends. */
const char *br_routes_token(const struct br_req *r);

#endif
