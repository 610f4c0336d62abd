/*
 * br_routes: the REST routes, one file per route group. A route the service
 * answers from the request's headers, path id and top-level body members
 * (whole numbers, strings, times: br_input.h) alone is an rpc (br_call.h) in
 * the route table; any other is a handler, which answers the request and
 * returns the HTTP status it wrote.
 */
#ifndef BR_ROUTES_H
#define BR_ROUTES_H

#include "bo_error.h"
#include "boxoffice/v1/boxoffice.pb-c.h"
#include "br_call.h"
#include "br_http.h"

/* br_identity.c: sign up, log in, log out */
extern const struct br_rpc br_identity_signup_rpc;
extern const struct br_rpc br_identity_login_rpc;
extern const struct br_rpc br_identity_logout_rpc;

/* br_queue.c: a place in the line taken, its state, leaving it */
extern const struct br_rpc br_queue_issue_rpc;
extern const struct br_rpc br_queue_current_rpc;
extern const struct br_rpc br_queue_leave_rpc;

/* br_catalog.c: concerts, a concert's schedules, a date's sections, a date's seats (the whole
 * map answered from memory when it can, else by br_catalog_seats_rpc; a section or the compact
 * form by the service) */
extern const struct br_rpc br_catalog_concerts_rpc;
extern const struct br_rpc br_catalog_schedules_rpc;
extern const struct br_rpc br_catalog_sections_rpc;
extern const struct br_rpc br_catalog_seats_rpc;
int br_catalog_seats(struct br_req *r);

/* br_reservations.c: hold seats (one, several, best available: the body read by
 * br_reservations_hold, the reply written as br_reservations_hold_rpc says), release a hold */
extern const struct br_rpc br_reservations_hold_rpc;
int br_reservations_hold(struct br_req *r);
extern const struct br_rpc br_reservations_release_rpc;

/* br_points.c: balance, charges, payments, refunds */
extern const struct br_rpc br_points_balance_rpc;
extern const struct br_rpc br_points_charge_rpc;
extern const struct br_rpc br_points_pay_rpc;
extern const struct br_rpc br_points_refund_rpc;

/* br_admin.c: concerts created and their sale opening moved, venues and schedules created,
 * admission and rate limits read and tuned */
extern const struct br_rpc br_admin_concert_create_rpc;
extern const struct br_rpc br_admin_concert_update_rpc;
int br_admin_venue_create(struct br_req *r);
int br_admin_schedule_create(struct br_req *r);
extern const struct br_rpc br_admin_admission_get_rpc;
int br_admin_admission_set(struct br_req *r);
extern const struct br_rpc br_admin_limits_get_rpc;
int br_admin_limits_set(struct br_req *r);

/* br_health.c: alive, ready (the service answers), metrics */
int br_health_live(struct br_req *r);
extern const struct br_rpc br_health_ready_rpc;
int br_health_metrics(struct br_req *r);

#endif
