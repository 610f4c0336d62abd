/*
 * Unit suite for br_pb: the JSON the REST routes write for the service's replies, byte for
 * byte, through the routes' own key lists and reply writers (br_routes.h); the mapping
 * br_pb.h states (camelCase keys, "*_ms" times as RFC 3339 or null, enumerations by name,
 * renamed keys, .proto order without a key list); fields found by member name; the
 * programmer errors that mark the buffer failed. No servers.
 */
#include "boxoffice/v1/envelope.pb-c.h"
#include "boxoffice/v1/events.pb-c.h"
#include "br_pb.h"
#include "br_routes.h"

#include "support.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The buffer of the running test, made empty by the checked fixture. */
static struct br_buf buf;

static void pb_buf_setup(void)
{
    br_buf_init(&buf);
    br_buf_reset(&buf, 0);
}

static void pb_buf_teardown(void)
{
    br_buf_fini(&buf);
}

/* pb_text returns what the buffer holds, checking that a NUL follows it right there when it
 * holds something. */
static const char *pb_text(void)
{
    size_t len;
    const char *s = br_buf_content(&buf, &len);

    if (len == 0) {
        return ""; /* nothing appended: no NUL written either */
    }
    ck_assert_uint_eq(strlen(s), len);
    return s;
}

/* ---- the replies ------------------------------------------------------------------------- */

/* PB_BASE starts the initializer of a message of type t (its descriptor's middle name). */
#define PB_BASE(t) .base = PROTOBUF_C_MESSAGE_INIT(&boxoffice__v1__##t##__descriptor)

/* Times: 2025-11-25T01:00:03.456Z and on. */
#define PB_ISSUED   1764032403456LL
#define PB_ADMITTED 1764032410000LL
#define PB_EXPIRES  1764032710000LL
#define PB_HELD     1764032500123LL
#define PB_HOLD_END 1764032800123LL
#define PB_PAID     1764032600999LL
#define PB_STARTS   1798747200000LL

static Boxoffice__V1__Token pb_token_waiting = {
    PB_BASE(token),     .token = "v1.7-42.sig+/=",
    .token_id = "7-42", .user_id = 1001,
    .concert_id = 7,    .status = BOXOFFICE__V1__TOKEN_STATUS__TOKEN_WAITING,
    .position = 3,      .eta_seconds = 2,
    .sequence = 42,     .issued_at_ms = PB_ISSUED};

static Boxoffice__V1__Token pb_token_active = {PB_BASE(token),
                                               .token = "v1.7-41.sig",
                                               .token_id = "7-41",
                                               .user_id = 1001,
                                               .concert_id = 7,
                                               .status = BOXOFFICE__V1__TOKEN_STATUS__TOKEN_ACTIVE,
                                               .sequence = 41,
                                               .admission_no = 5,
                                               .issued_at_ms = PB_ISSUED,
                                               .admitted_at_ms = PB_ADMITTED,
                                               .expires_at_ms = PB_EXPIRES};

static Boxoffice__V1__Token pb_token_expired = {PB_BASE(token),
                                                .token = "v1.7-40.sig",
                                                .token_id = "7-40",
                                                .user_id = 1002,
                                                .concert_id = 7,
                                                .status =
                                                    BOXOFFICE__V1__TOKEN_STATUS__TOKEN_EXPIRED,
                                                .sequence = 40,
                                                .admission_no = 4,
                                                .issued_at_ms = PB_ISSUED,
                                                .admitted_at_ms = PB_ADMITTED,
                                                .expires_at_ms = PB_EXPIRES};

static Boxoffice__V1__IssueTokenReply pb_issued_new = {PB_BASE(issue_token_reply),
                                                       .token = &pb_token_waiting, .created = 1};
static Boxoffice__V1__IssueTokenReply pb_issued_again = {PB_BASE(issue_token_reply),
                                                         .token = &pb_token_active, .created = 0};
static Boxoffice__V1__IssueTokenReply pb_issued_none = {PB_BASE(issue_token_reply)};
static Boxoffice__V1__GetTokenReply pb_current_active = {PB_BASE(get_token_reply),
                                                         .token = &pb_token_active};
static Boxoffice__V1__GetTokenReply pb_current_expired = {PB_BASE(get_token_reply),
                                                          .token = &pb_token_expired};

/* Waiting for the sale to open (at PB_STARTS): no place yet, no estimate. */
static Boxoffice__V1__Token pb_token_presale = {
    PB_BASE(token),
    .token = "v1.7-43.sig",
    .token_id = "7-43",
    .user_id = 1003,
    .concert_id = 7,
    .status = BOXOFFICE__V1__TOKEN_STATUS__TOKEN_WAITING,
    .sequence = 43,
    .issued_at_ms = PB_ISSUED,
    .sale_opens_at_ms = PB_STARTS};
static Boxoffice__V1__IssueTokenReply pb_issued_presale = {
    PB_BASE(issue_token_reply), .token = &pb_token_presale, .created = 1};
static Boxoffice__V1__GetTokenReply pb_current_presale = {PB_BASE(get_token_reply),
                                                          .token = &pb_token_presale};
static Boxoffice__V1__LeaveQueueReply pb_left = {PB_BASE(leave_queue_reply),
                                                 .token = &pb_token_expired};
static Boxoffice__V1__LeaveQueueReply pb_left_none = {PB_BASE(leave_queue_reply)};

/* Identity. */
static Boxoffice__V1__CreateAccountReply pb_account = {PB_BASE(create_account_reply),
                                                       .user_id = 100001, .name = "Ann \"A\""};
static Boxoffice__V1__LoginReply pb_login = {
    PB_BASE(login_reply), .session = "s1.1001.1764032710.AAAAAAAAAAAAAAAAAAAAAA.sig",
    .user_id = 1001, .expires_at_ms = PB_EXPIRES};
static Boxoffice__V1__LogoutReply pb_logout = {PB_BASE(logout_reply), .user_id = 1001};

/* Rate limits: every field, in .proto order. */
static Boxoffice__V1__Limits pb_limits_all = {PB_BASE(limits),
                                              .user_logins_per_minute = 10,
                                              .user_token_issues_per_minute = 20,
                                              .user_holds_per_minute = 30,
                                              .user_charges_per_minute = 31,
                                              .address_signups_per_minute = 0,
                                              .address_logins_per_minute = 300,
                                              .address_token_issues_per_minute = 600,
                                              .address_holds_per_minute = 601,
                                              .address_charges_per_minute = 4294967295u,
                                              .address_push_connections = 256,
                                              .token_push_connections = 4,
                                              .address_rest_connections = 256};
static Boxoffice__V1__LimitsReply pb_limits = {PB_BASE(limits_reply), .limits = &pb_limits_all};

/* A title with every kind of character JSON escapes, and one it keeps (UTF-8). */
static Boxoffice__V1__Concert pb_concert_a = {
    PB_BASE(concert),     .id = 7,           .title = "Say \"Hi\" \\ \t\x01 caf\xc3\xa9\n",
    .artist = "The Band", .venue = "Hall A", .schedule_count = 2};
static Boxoffice__V1__Concert pb_concert_b = {
    PB_BASE(concert), .id = 8,     .title = "Quiet Night",
    .artist = "Solo", .venue = "", .sale_opens_at_ms = PB_PAID};
static Boxoffice__V1__ListConcertsReply pb_concerts = {
    PB_BASE(list_concerts_reply), .n_concerts = 2,
    .concerts = (Boxoffice__V1__Concert *[]){&pb_concert_a, &pb_concert_b}};
static Boxoffice__V1__ListConcertsReply pb_concerts_none = {PB_BASE(list_concerts_reply)};
static Boxoffice__V1__CreateConcertReply pb_concert_created = {PB_BASE(create_concert_reply),
                                                               .concert = &pb_concert_a};
static Boxoffice__V1__UpdateConcertReply pb_concert_updated = {PB_BASE(update_concert_reply),
                                                               .concert = &pb_concert_b};

static Boxoffice__V1__Schedule pb_schedule_a = {PB_BASE(schedule),     .id = 70,
                                                .concert_id = 7,       .starts_at_ms = PB_STARTS,
                                                .available_seats = 49, .total_seats = 50};
static Boxoffice__V1__Schedule pb_schedule_b = {PB_BASE(schedule),    .id = 71,
                                                .concert_id = 7,      .starts_at_ms = PB_PAID,
                                                .available_seats = 0, .total_seats = 50};
static Boxoffice__V1__ListSchedulesRequest pb_schedules_req = {PB_BASE(list_schedules_request),
                                                               .token = "", .concert_id = 7};
static Boxoffice__V1__ListSchedulesReply pb_schedules = {
    PB_BASE(list_schedules_reply), .n_schedules = 2,
    .schedules = (Boxoffice__V1__Schedule *[]){&pb_schedule_a, &pb_schedule_b}};
static Boxoffice__V1__ListSchedulesRequest pb_schedules_none_req = {PB_BASE(list_schedules_request),
                                                                    .token = "", .concert_id = 9};
static Boxoffice__V1__ListSchedulesReply pb_schedules_none = {PB_BASE(list_schedules_reply)};

static Boxoffice__V1__Seat pb_seat_1 = {PB_BASE(seat), .section = "", .seat_no = 1, .price = 99000,
                                        .status = BOXOFFICE__V1__SEAT_STATUS__SEAT_AVAILABLE};
/* A hold (its end and reservation never shown by REST) and a token's window, likewise. */
static Boxoffice__V1__Seat pb_seat_2 = {PB_BASE(seat),
                                        .section = "",
                                        .seat_no = 2,
                                        .price = 99000,
                                        .status = BOXOFFICE__V1__SEAT_STATUS__SEAT_HELD,
                                        .held_until_ms = INT64_MAX,
                                        .reservation_id = 500};
static Boxoffice__V1__Seat pb_seat_3 = {PB_BASE(seat), .section = "", .seat_no = 3, .price = 150000,
                                        .status = BOXOFFICE__V1__SEAT_STATUS__SEAT_SOLD};
static Boxoffice__V1__ListSeatsReply pb_seats = {
    PB_BASE(list_seats_reply),
    .schedule_id = 70,
    .concert_id = 7,
    .n_seats = 3,
    .seats = (Boxoffice__V1__Seat *[]){&pb_seat_1, &pb_seat_2, &pb_seat_3},
    .token_active_until_ms = 1764032800000};
/* Not a seat the service sends: a negative int64 and enumeration values without a name. */
static Boxoffice__V1__Seat pb_seat_unspecified = {PB_BASE(seat), .section = "", .seat_no = 4,
                                                  .price = -1};
static Boxoffice__V1__Seat pb_seat_unknown = {PB_BASE(seat), .section = "", .seat_no = 5,
                                              .price = INT64_MIN, .status = 9};

static Boxoffice__V1__Reservation pb_held = {
    PB_BASE(reservation),  .id = 500,
    .user_id = 1001,       .concert_id = 7,
    .schedule_id = 70,     .seat_no = 2,
    .price = 99000,        .status = BOXOFFICE__V1__RESERVATION_STATUS__RESERVATION_HELD,
    .held_at_ms = PB_HELD, .expires_at_ms = PB_HOLD_END};
static Boxoffice__V1__Reservation pb_cancelled = {
    PB_BASE(reservation),  .id = 501,
    .user_id = 1001,       .concert_id = 7,
    .schedule_id = 70,     .seat_no = 3,
    .price = 150000,       .status = BOXOFFICE__V1__RESERVATION_STATUS__RESERVATION_CANCELLED,
    .held_at_ms = PB_HELD, .expires_at_ms = PB_HOLD_END};
static Boxoffice__V1__Reservation pb_confirmed = {
    PB_BASE(reservation),
    .id = 502,
    .user_id = 1002,
    .concert_id = 8,
    .schedule_id = 80,
    .seat_no = 50,
    .price = 1,
    .status = BOXOFFICE__V1__RESERVATION_STATUS__RESERVATION_CONFIRMED,
    .held_at_ms = PB_HELD,
    .expires_at_ms = PB_HOLD_END};
static Boxoffice__V1__Reservation pb_expired = {
    PB_BASE(reservation), .id = 503,
    .user_id = 1003,      .concert_id = 7,
    .schedule_id = 71,    .seat_no = 1,
    .price = 99000,       .status = BOXOFFICE__V1__RESERVATION_STATUS__RESERVATION_EXPIRED,
    .held_at_ms = PB_HELD};
static Boxoffice__V1__HoldSeatReply pb_hold = {PB_BASE(hold_seat_reply), .reservation = &pb_held};
static Boxoffice__V1__HoldSeatReply pb_hold_expired = {PB_BASE(hold_seat_reply),
                                                       .reservation = &pb_expired};
static Boxoffice__V1__ReleaseHoldReply pb_release = {PB_BASE(release_hold_reply),
                                                     .reservation = &pb_cancelled};

static Boxoffice__V1__GetBalanceReply pb_balance = {PB_BASE(get_balance_reply), .user_id = 1001,
                                                    .balance = 250000};
static Boxoffice__V1__ChargePointsReply pb_charge = {
    PB_BASE(charge_points_reply),     .user_id = 1001, .balance = 350000, .amount = 100000,
    .ledger_id = 9007199254740993ULL, .replayed = 1};
static Boxoffice__V1__ChargePointsReply pb_charge_first = {
    PB_BASE(charge_points_reply), .user_id = 18446744073709551615ULL, .balance = 100000,
    .amount = 100000, .ledger_id = 1};

static Boxoffice__V1__Payment pb_payment = {
    PB_BASE(payment),      .id = 900,
    .reservation_id = 500, .user_id = 1001,
    .schedule_id = 70,     .seat_no = 2,
    .amount = 99000,       .status = BOXOFFICE__V1__PAYMENT_STATUS__PAYMENT_COMPLETED,
    .paid_at_ms = PB_PAID, .balance_after = 251000};
static Boxoffice__V1__PayReply pb_paid = {PB_BASE(pay_reply), .payment = &pb_payment};
static Boxoffice__V1__PayReply pb_paid_again = {PB_BASE(pay_reply), .payment = &pb_payment,
                                                .replayed = 1};

/* Issue 11: seats with places (a venue's), a hold and a payment of several seats, a refund,
 * sections, a compact map. */
static Boxoffice__V1__Seat pb_vseat_a = {PB_BASE(seat),
                                         .seat_no = 217,
                                         .price = 2000,
                                         .status = BOXOFFICE__V1__SEAT_STATUS__SEAT_HELD,
                                         .held_until_ms = INT64_MAX,
                                         .reservation_id = 600,
                                         .section = "B",
                                         .row = 2,
                                         .number = 7};
static Boxoffice__V1__Seat pb_vseat_b = {PB_BASE(seat),
                                         .seat_no = 218,
                                         .price = 2000,
                                         .status = BOXOFFICE__V1__SEAT_STATUS__SEAT_SOLD,
                                         .reservation_id = 601,
                                         .section = "B",
                                         .row = 2,
                                         .number = 8};
static Boxoffice__V1__Reservation pb_held_venue = {
    PB_BASE(reservation),  .id = 600,
    .user_id = 1001,       .concert_id = 9,
    .schedule_id = 90,     .seat_no = 217,
    .price = 4000,         .status = BOXOFFICE__V1__RESERVATION_STATUS__RESERVATION_HELD,
    .held_at_ms = PB_HELD, .expires_at_ms = PB_HOLD_END,
    .n_seats = 2,          .seats = (Boxoffice__V1__Seat *[]){&pb_vseat_a, &pb_vseat_b}};
static Boxoffice__V1__HoldSeatReply pb_hold_venue = {PB_BASE(hold_seat_reply),
                                                     .reservation = &pb_held_venue};
static Boxoffice__V1__Seat pb_hseat_1 = {PB_BASE(seat), .section = "", .seat_no = 1, .price = 700};
static Boxoffice__V1__Seat pb_hseat_2 = {PB_BASE(seat), .section = "", .seat_no = 2, .price = 700};
static Boxoffice__V1__Seat pb_hseat_only = {PB_BASE(seat), .section = "", .seat_no = 2,
                                            .price = 99000};
static Boxoffice__V1__Payment pb_payment_two = {
    PB_BASE(payment),      .id = 901,
    .reservation_id = 700, .user_id = 1001,
    .schedule_id = 70,     .seat_no = 1,
    .amount = 1400,        .status = BOXOFFICE__V1__PAYMENT_STATUS__PAYMENT_COMPLETED,
    .paid_at_ms = PB_PAID, .balance_after = 8600,
    .n_seats = 2,          .seats = (Boxoffice__V1__Seat *[]){&pb_hseat_1, &pb_hseat_2}};
static Boxoffice__V1__PayReply pb_paid_two = {PB_BASE(pay_reply), .payment = &pb_payment_two};
static Boxoffice__V1__Payment pb_payment_one_listed = {
    PB_BASE(payment),      .id = 900,
    .reservation_id = 500, .user_id = 1001,
    .schedule_id = 70,     .seat_no = 2,
    .amount = 99000,       .status = BOXOFFICE__V1__PAYMENT_STATUS__PAYMENT_COMPLETED,
    .paid_at_ms = PB_PAID, .balance_after = 251000,
    .n_seats = 1,          .seats = (Boxoffice__V1__Seat *[]){&pb_hseat_only}};
static Boxoffice__V1__PayReply pb_paid_one_listed = {PB_BASE(pay_reply),
                                                     .payment = &pb_payment_one_listed};
static Boxoffice__V1__Payment pb_refunded = {
    PB_BASE(payment),
    .id = 902,
    .reservation_id = 600,
    .user_id = 1001,
    .schedule_id = 90,
    .seat_no = 217,
    .amount = 4000,
    .status = BOXOFFICE__V1__PAYMENT_STATUS__PAYMENT_REFUNDED,
    .paid_at_ms = PB_HELD,
    .refunded_at_ms = PB_PAID,
    .balance_after = 10000,
    .n_seats = 2,
    .seats = (Boxoffice__V1__Seat *[]){&pb_vseat_a, &pb_vseat_b}};
static Boxoffice__V1__RefundReply pb_refund_again = {PB_BASE(refund_reply), .payment = &pb_refunded,
                                                     .replayed = 1};
static Boxoffice__V1__Section pb_section_a = {
    PB_BASE(section), .name = "A",        .rows = 10,         .seats_per_row = 20,
    .price = 1000,    .first_seat_no = 1, .total_seats = 200, .available_seats = 198};
static Boxoffice__V1__Section pb_section_t = {
    PB_BASE(section), .name = "T",          .rows = 1,       .seats_per_row = 2,
    .price = 500,     .first_seat_no = 201, .total_seats = 2};
static Boxoffice__V1__ListSectionsRequest pb_sections_req = {PB_BASE(list_sections_request),
                                                             .token = "", .schedule_id = 90};
static Boxoffice__V1__ListSectionsReply pb_sections = {
    PB_BASE(list_sections_reply), .concert_id = 9, .n_sections = 2,
    .sections = (Boxoffice__V1__Section *[]){&pb_section_a, &pb_section_t}};
static Boxoffice__V1__ListSeatsRequest pb_compact_req = {
    PB_BASE(list_seats_request), .token = "", .schedule_id = 90, .section = "B", .compact = 1};
static Boxoffice__V1__ListSeatsReply pb_compact = {PB_BASE(list_seats_reply), .schedule_id = 90,
                                                   .concert_id = 9,           .section = "B",
                                                   .first_seat_no = 201,      .statuses = "HSAA"};
static Boxoffice__V1__ListSeatsRequest pb_compact_all_req = {
    PB_BASE(list_seats_request), .token = "", .schedule_id = 70, .section = "", .compact = 1};
static Boxoffice__V1__ListSeatsReply pb_compact_all = {
    PB_BASE(list_seats_reply), .schedule_id = 70, .concert_id = 7, .section = "",
    .first_seat_no = 1,        .statuses = "AHS"};
static Boxoffice__V1__ListSeatsReply pb_seats_venue = {
    PB_BASE(list_seats_reply),
    .schedule_id = 90,
    .concert_id = 9,
    .n_seats = 2,
    .seats = (Boxoffice__V1__Seat *[]){&pb_vseat_a, &pb_vseat_b},
    .section = "B",
    .first_seat_no = 201};

static Boxoffice__V1__AdmissionSettings pb_settings = {
    PB_BASE(admission_settings), .rate_per_second = 50,   .max_active = 200,
    .token_ttl_seconds = 600,    .hold_ttl_seconds = 300, .max_seats_per_hold = 4};
static Boxoffice__V1__AdmissionSettingsReply pb_admission = {PB_BASE(admission_settings_reply),
                                                             .settings = &pb_settings};

static Boxoffice__V1__TouchTokensReply pb_touched = {
    PB_BASE(touch_tokens_reply), .touched = 2, .n_expired_token_ids = 2,
    .expired_token_ids = (char *[]){"7-1", "7-\"2"}};

static Boxoffice__V1__AdmissionEvent pb_event = {PB_BASE(admission_event),
                                                 .kind = BOXOFFICE__V1__EVENT_KIND__EVENT_ADMITTED,
                                                 .sequence = 5,
                                                 .concert_id = 7,
                                                 .user_id = 1001,
                                                 .token_id = "7-41",
                                                 .admitted_at_ms = PB_ADMITTED,
                                                 .active_until_ms = PB_EXPIRES};

/* Requests whose fields br_call fills by member name. */
static Boxoffice__V1__PayRequest pb_pay_req = {PB_BASE(pay_request), .token = "t",
                                               .reservation_id = 500, .idempotency_key = "k-1"};
static Boxoffice__V1__SetAdmissionSettingsRequest pb_settings_req = {
    PB_BASE(set_admission_settings_request), .admin_key = "a", .settings = &pb_settings};

static Boxoffice__V1__CreateConcertRequest pb_concert_req = {PB_BASE(create_concert_request),
                                                             .sale_opens_at_ms = PB_STARTS};
static Boxoffice__V1__LoginRequest pb_login_req = {PB_BASE(login_request), .user_id = 1,
                                                   .password = "demo"};

/* Messages of types no reply of a route has. */
static Boxoffice__V1__Status pb_status = {PB_BASE(status), .code = 409, .reason = "SEAT_TAKEN",
                                          .message = "taken"};
static Boxoffice__V1__RequestEnvelope pb_envelope = {PB_BASE(request_envelope), .method = 3};

/* Key lists of the suite's own (the routes' come with their rpcs and writers). */
static const char *const pb_keys_renamed[] = {"balance=balance_after", "id", "paidAt", NULL};
static const char *const pb_keys_reversed[] = {"expiresAt", "status", "userId", "tokenId", NULL};
static const char *const pb_keys_twice[] = {"seatNo", "seatNo", NULL};
static const char *const pb_keys_none[] = {NULL};

/* ---- the text written -------------------------------------------------------------------- */

/* One case: a reply of a route (or a message with a key list) and the exact body. */
struct pb_case {
    const char *name;
    const struct br_rpc *rpc;    /* the route answering with rep; NULL: rep with keys alone */
    const char *const *keys;     /* with rpc NULL: the key list (NULL: every field) */
    const ProtobufCMessage *rep; /* the reply */
    const ProtobufCMessage *req; /* the request it answers (a writer may read it), or NULL */
    int status;                  /* the route's HTTP status; 0 with rpc NULL */
    const char *want;
};

static const struct pb_case pb_cases[] = {
    /* POST /api/v1/queue/tokens */
    {"issued, new", &br_queue_issue_rpc, NULL, &pb_issued_new.base, NULL, 201,
     "{\"token\":\"v1.7-42.sig+/=\",\"tokenId\":\"7-42\",\"userId\":1001,\"concertId\":7,"
     "\"status\":\"WAITING\",\"position\":3,\"etaSeconds\":2,"
     "\"issuedAt\":\"2025-11-25T01:00:03.456Z\",\"admittedAt\":null,\"expiresAt\":null,"
     "\"saleOpensAt\":null}"},
    {"issued, the live token again", &br_queue_issue_rpc, NULL, &pb_issued_again.base, NULL, 200,
     "{\"token\":\"v1.7-41.sig\",\"tokenId\":\"7-41\",\"userId\":1001,\"concertId\":7,"
     "\"status\":\"ACTIVE\",\"position\":0,\"etaSeconds\":0,"
     "\"issuedAt\":\"2025-11-25T01:00:03.456Z\",\"admittedAt\":\"2025-11-25T01:00:10.000Z\","
     "\"expiresAt\":\"2025-11-25T01:05:10.000Z\",\"saleOpensAt\":null}"},
    /* GET /api/v1/queue/tokens/current: no signed string */
    {"current, active", &br_queue_current_rpc, NULL, &pb_current_active.base, NULL, 200,
     "{\"tokenId\":\"7-41\",\"userId\":1001,\"concertId\":7,"
     "\"status\":\"ACTIVE\",\"position\":0,\"etaSeconds\":0,"
     "\"issuedAt\":\"2025-11-25T01:00:03.456Z\",\"admittedAt\":\"2025-11-25T01:00:10.000Z\","
     "\"expiresAt\":\"2025-11-25T01:05:10.000Z\",\"saleOpensAt\":null}"},
    {"current, expired", &br_queue_current_rpc, NULL, &pb_current_expired.base, NULL, 200,
     "{\"tokenId\":\"7-40\",\"userId\":1002,\"concertId\":7,"
     "\"status\":\"EXPIRED\",\"position\":0,\"etaSeconds\":0,"
     "\"issuedAt\":\"2025-11-25T01:00:03.456Z\",\"admittedAt\":\"2025-11-25T01:00:10.000Z\","
     "\"expiresAt\":\"2025-11-25T01:05:10.000Z\",\"saleOpensAt\":null}"},
    {"issued, waiting for the sale to open", &br_queue_issue_rpc, NULL, &pb_issued_presale.base,
     NULL, 201,
     "{\"token\":\"v1.7-43.sig\",\"tokenId\":\"7-43\",\"userId\":1003,\"concertId\":7,"
     "\"status\":\"WAITING\",\"position\":0,\"etaSeconds\":0,"
     "\"issuedAt\":\"2025-11-25T01:00:03.456Z\",\"admittedAt\":null,\"expiresAt\":null,"
     "\"saleOpensAt\":\"2026-12-31T20:00:00.000Z\","
     "\"message\":\"waiting for the sale to open at 2026-12-31T20:00:00.000Z\"}"},
    {"current, waiting for the sale to open", &br_queue_current_rpc, NULL, &pb_current_presale.base,
     NULL, 200,
     "{\"tokenId\":\"7-43\",\"userId\":1003,\"concertId\":7,"
     "\"status\":\"WAITING\",\"position\":0,\"etaSeconds\":0,"
     "\"issuedAt\":\"2025-11-25T01:00:03.456Z\",\"admittedAt\":null,\"expiresAt\":null,"
     "\"saleOpensAt\":\"2026-12-31T20:00:00.000Z\","
     "\"message\":\"waiting for the sale to open at 2026-12-31T20:00:00.000Z\"}"},
    /* DELETE /api/v1/queue/tokens/current: the token as leaving left it */
    {"left", &br_queue_leave_rpc, NULL, &pb_left.base, NULL, 200,
     "{\"tokenId\":\"7-40\",\"userId\":1002,\"concertId\":7,"
     "\"status\":\"EXPIRED\",\"position\":0,\"etaSeconds\":0,"
     "\"issuedAt\":\"2025-11-25T01:00:03.456Z\",\"admittedAt\":\"2025-11-25T01:00:10.000Z\","
     "\"expiresAt\":\"2025-11-25T01:05:10.000Z\",\"saleOpensAt\":null}"},
    {"left, the reply without its token: nothing written", &br_queue_leave_rpc, NULL,
     &pb_left_none.base, NULL, 0, ""},
    /* POST /api/v1/accounts, POST /api/v1/sessions, DELETE /api/v1/sessions/current */
    {"signed up", &br_identity_signup_rpc, NULL, &pb_account.base, NULL, 201,
     "{\"userId\":100001,\"name\":\"Ann \\\"A\\\"\"}"},
    {"logged in", &br_identity_login_rpc, NULL, &pb_login.base, NULL, 201,
     "{\"session\":\"s1.1001.1764032710.AAAAAAAAAAAAAAAAAAAAAA.sig\",\"userId\":1001,"
     "\"expiresAt\":\"2025-11-25T01:05:10.000Z\"}"},
    {"logged out", &br_identity_logout_rpc, NULL, &pb_logout.base, NULL, 200, "{\"userId\":1001}"},
    /* GET /api/v1/concerts */
    {"concerts", &br_catalog_concerts_rpc, NULL, &pb_concerts.base, NULL, 200,
     "{\"concerts\":[{\"id\":7,\"title\":\"Say \\\"Hi\\\" \\\\ \\t\\u0001 caf\xc3\xa9\\n\","
     "\"artist\":\"The Band\",\"venue\":\"Hall A\",\"scheduleCount\":2,\"saleOpensAt\":null},"
     "{\"id\":8,\"title\":\"Quiet Night\",\"artist\":\"Solo\",\"venue\":\"\","
     "\"scheduleCount\":0,\"saleOpensAt\":\"2025-11-25T01:03:20.999Z\"}]}"},
    {"concerts, none", &br_catalog_concerts_rpc, NULL, &pb_concerts_none.base, NULL, 200,
     "{\"concerts\":[]}"},
    /* GET /api/v1/concerts/{id}/schedules: the concert asked for first */
    {"schedules", &br_catalog_schedules_rpc, NULL, &pb_schedules.base, &pb_schedules_req.base, 200,
     "{\"concertId\":7,\"schedules\":["
     "{\"id\":70,\"concertId\":7,\"startsAt\":\"2026-12-31T20:00:00.000Z\","
     "\"availableSeats\":49,\"totalSeats\":50},"
     "{\"id\":71,\"concertId\":7,\"startsAt\":\"2025-11-25T01:03:20.999Z\","
     "\"availableSeats\":0,\"totalSeats\":50}]}"},
    {"schedules, none", &br_catalog_schedules_rpc, NULL, &pb_schedules_none.base,
     &pb_schedules_none_req.base, 200, "{\"concertId\":9,\"schedules\":[]}"},
    /* GET /api/v1/schedules/{id}/seats */
    {"seats", &br_catalog_seats_rpc, NULL, &pb_seats.base, NULL, 200,
     "{\"scheduleId\":70,\"concertId\":7,\"seats\":["
     "{\"seatNo\":1,\"price\":99000,\"status\":\"AVAILABLE\"},"
     "{\"seatNo\":2,\"price\":99000,\"status\":\"HELD\"},"
     "{\"seatNo\":3,\"price\":150000,\"status\":\"SOLD\"}]}"},
    /* POST /api/v1/reservations, DELETE /api/v1/reservations/{id} */
    {"hold", &br_reservations_hold_rpc, NULL, &pb_hold.base, NULL, 201,
     "{\"reservationId\":500,\"status\":\"HELD\",\"expiresAt\":\"2025-11-25T01:06:40.123Z\","
     "\"price\":99000,\"userId\":1001,\"concertId\":7,\"scheduleId\":70,\"seatNo\":2,"
     "\"heldAt\":\"2025-11-25T01:01:40.123Z\"}"},
    {"release", &br_reservations_release_rpc, NULL, &pb_release.base, NULL, 200,
     "{\"reservationId\":501,\"status\":\"CANCELLED\",\"expiresAt\":\"2025-11-25T01:06:40.123Z\","
     "\"price\":150000,\"userId\":1001,\"concertId\":7,\"scheduleId\":70,\"seatNo\":3,"
     "\"heldAt\":\"2025-11-25T01:01:40.123Z\"}"},
    {"hold, expired without an end", &br_reservations_hold_rpc, NULL, &pb_hold_expired.base, NULL,
     201,
     "{\"reservationId\":503,\"status\":\"EXPIRED\",\"expiresAt\":null,"
     "\"price\":99000,\"userId\":1003,\"concertId\":7,\"scheduleId\":71,\"seatNo\":1,"
     "\"heldAt\":\"2025-11-25T01:01:40.123Z\"}"},
    /* GET /api/v1/users/{id}/points, POST .../points/charges */
    {"balance", &br_points_balance_rpc, NULL, &pb_balance.base, NULL, 200,
     "{\"userId\":1001,\"balance\":250000}"},
    {"charge, replayed", &br_points_charge_rpc, NULL, &pb_charge.base, NULL, 200,
     "{\"userId\":1001,\"balance\":350000,\"amount\":100000,\"ledgerId\":9007199254740993,"
     "\"replayed\":true}"},
    {"charge, first", &br_points_charge_rpc, NULL, &pb_charge_first.base, NULL, 200,
     "{\"userId\":18446744073709551615,\"balance\":100000,\"amount\":100000,\"ledgerId\":1,"
     "\"replayed\":false}"},
    /* POST /api/v1/payments */
    {"payment", &br_points_pay_rpc, NULL, &pb_paid.base, NULL, 201,
     "{\"paymentId\":900,\"status\":\"COMPLETED\",\"amount\":99000,\"reservationId\":500,"
     "\"userId\":1001,\"scheduleId\":70,\"seatNo\":2,\"paidAt\":\"2025-11-25T01:03:20.999Z\","
     "\"balance\":251000,\"replayed\":false}"},
    {"payment, replayed", &br_points_pay_rpc, NULL, &pb_paid_again.base, NULL, 200,
     "{\"paymentId\":900,\"status\":\"COMPLETED\",\"amount\":99000,\"reservationId\":500,"
     "\"userId\":1001,\"scheduleId\":70,\"seatNo\":2,\"paidAt\":\"2025-11-25T01:03:20.999Z\","
     "\"balance\":251000,\"replayed\":true}"},
    /* issue 11: several seats, places, refunds, sections, the compact map */
    {"hold of two venue seats: seats listed with places, price the total",
     &br_reservations_hold_rpc, NULL, &pb_hold_venue.base, NULL, 201,
     "{\"reservationId\":600,\"status\":\"HELD\",\"expiresAt\":\"2025-11-25T01:06:40.123Z\","
     "\"price\":4000,\"userId\":1001,\"concertId\":9,\"scheduleId\":90,\"seatNo\":217,"
     "\"heldAt\":\"2025-11-25T01:01:40.123Z\",\"seats\":["
     "{\"seatNo\":217,\"section\":\"B\",\"row\":2,\"number\":7,\"label\":\"B-2-7\","
     "\"price\":2000},"
     "{\"seatNo\":218,\"section\":\"B\",\"row\":2,\"number\":8,\"label\":\"B-2-8\","
     "\"price\":2000}]}"},
    {"payment of two hall seats: places null", &br_points_pay_rpc, NULL, &pb_paid_two.base, NULL,
     201,
     "{\"paymentId\":901,\"status\":\"COMPLETED\",\"amount\":1400,\"reservationId\":700,"
     "\"userId\":1001,\"scheduleId\":70,\"seatNo\":1,\"paidAt\":\"2025-11-25T01:03:20.999Z\","
     "\"balance\":8600,\"seats\":["
     "{\"seatNo\":1,\"section\":null,\"row\":null,\"number\":null,\"label\":null,"
     "\"price\":700},"
     "{\"seatNo\":2,\"section\":null,\"row\":null,\"number\":null,\"label\":null,"
     "\"price\":700}],\"replayed\":false}"},
    {"payment of one hall seat, its seat in the reply: as before", &br_points_pay_rpc, NULL,
     &pb_paid_one_listed.base, NULL, 201,
     "{\"paymentId\":900,\"status\":\"COMPLETED\",\"amount\":99000,\"reservationId\":500,"
     "\"userId\":1001,\"scheduleId\":70,\"seatNo\":2,\"paidAt\":\"2025-11-25T01:03:20.999Z\","
     "\"balance\":251000,\"replayed\":false}"},
    {"refund, replayed", &br_points_refund_rpc, NULL, &pb_refund_again.base, NULL, 200,
     "{\"paymentId\":902,\"status\":\"REFUNDED\",\"amount\":4000,\"reservationId\":600,"
     "\"userId\":1001,\"scheduleId\":90,\"seatNo\":217,\"paidAt\":\"2025-11-25T01:01:40.123Z\","
     "\"refundedAt\":\"2025-11-25T01:03:20.999Z\",\"balance\":10000,\"seats\":["
     "{\"seatNo\":217,\"section\":\"B\",\"row\":2,\"number\":7,\"label\":\"B-2-7\","
     "\"price\":2000},"
     "{\"seatNo\":218,\"section\":\"B\",\"row\":2,\"number\":8,\"label\":\"B-2-8\","
     "\"price\":2000}],\"replayed\":true}"},
    {"sections: the date asked for", &br_catalog_sections_rpc, NULL, &pb_sections.base,
     &pb_sections_req.base, 200,
     "{\"scheduleId\":90,\"concertId\":9,\"sections\":["
     "{\"name\":\"A\",\"price\":1000,\"totalSeats\":200,\"availableSeats\":198,\"rows\":10,"
     "\"seatsPerRow\":20,\"firstSeatNo\":1},"
     "{\"name\":\"T\",\"price\":500,\"totalSeats\":2,\"availableSeats\":0,\"rows\":1,"
     "\"seatsPerRow\":2,\"firstSeatNo\":201}]}"},
    {"compact map of a section", &br_catalog_seats_rpc, NULL, &pb_compact.base,
     &pb_compact_req.base, 200,
     "{\"scheduleId\":90,\"section\":\"B\",\"firstSeatNo\":201,\"statuses\":\"HSAA\"}"},
    {"compact whole map: no section", &br_catalog_seats_rpc, NULL, &pb_compact_all.base,
     &pb_compact_all_req.base, 200,
     "{\"scheduleId\":70,\"section\":null,\"firstSeatNo\":1,\"statuses\":\"AHS\"}"},
    {"a venue's seats with places", &br_catalog_seats_rpc, NULL, &pb_seats_venue.base, NULL, 200,
     "{\"scheduleId\":90,\"concertId\":9,\"seats\":["
     "{\"seatNo\":217,\"price\":2000,\"status\":\"HELD\",\"section\":\"B\",\"row\":2,"
     "\"number\":7,\"label\":\"B-2-7\"},"
     "{\"seatNo\":218,\"price\":2000,\"status\":\"SOLD\",\"section\":\"B\",\"row\":2,"
     "\"number\":8,\"label\":\"B-2-8\"}]}"},
    /* GET /api/v1/admin/admission */
    {"admission", &br_admin_admission_get_rpc, NULL, &pb_admission.base, NULL, 200,
     "{\"ratePerSecond\":50,\"maxActive\":200,\"tokenTtlSeconds\":600,\"holdTtlSeconds\":300,"
     "\"maxSeatsPerHold\":4}"},
    /* POST /api/v1/admin/concerts, PATCH /api/v1/admin/concerts/{id} */
    {"concert created, on sale", &br_admin_concert_create_rpc, NULL, &pb_concert_created.base, NULL,
     201,
     "{\"id\":7,\"title\":\"Say \\\"Hi\\\" \\\\ \\t\\u0001 caf\xc3\xa9\\n\","
     "\"artist\":\"The Band\",\"venue\":\"Hall A\",\"scheduleCount\":2,\"saleOpensAt\":null}"},
    {"concert updated", &br_admin_concert_update_rpc, NULL, &pb_concert_updated.base, NULL, 200,
     "{\"id\":8,\"title\":\"Quiet Night\",\"artist\":\"Solo\",\"venue\":\"\","
     "\"scheduleCount\":0,\"saleOpensAt\":\"2025-11-25T01:03:20.999Z\"}"},
    /* GET and PATCH /api/v1/admin/limits: exactly the members PATCH takes */
    {"limits", &br_admin_limits_get_rpc, NULL, &pb_limits.base, NULL, 200,
     "{\"userLoginsPerMinute\":10,\"userTokenIssuesPerMinute\":20,\"userHoldsPerMinute\":30,"
     "\"userChargesPerMinute\":31,\"addressSignupsPerMinute\":0,"
     "\"addressLoginsPerMinute\":300,\"addressTokenIssuesPerMinute\":600,"
     "\"addressHoldsPerMinute\":601,\"addressChargesPerMinute\":4294967295,"
     "\"addressPushConnections\":256,\"tokenPushConnections\":4,"
     "\"addressRestConnections\":256}"},
    /* POST /api/v1/admin/concerts/{id}/schedules: the created message, every field */
    {"concert created", NULL, NULL, &pb_concert_b.base, NULL, 0,
     "{\"id\":8,\"title\":\"Quiet Night\",\"artist\":\"Solo\",\"venue\":\"\","
     "\"scheduleCount\":0,\"saleOpensAt\":\"2025-11-25T01:03:20.999Z\"}"},
    {"schedule created", NULL, NULL, &pb_schedule_a.base, NULL, 0,
     "{\"id\":70,\"concertId\":7,\"startsAt\":\"2026-12-31T20:00:00.000Z\","
     "\"availableSeats\":49,\"totalSeats\":50}"},
    /* the mapping itself */
    {"every field, .proto order", NULL, NULL, &pb_token_active.base, NULL, 0,
     "{\"token\":\"v1.7-41.sig\",\"tokenId\":\"7-41\",\"userId\":1001,\"concertId\":7,"
     "\"status\":\"ACTIVE\",\"position\":0,\"etaSeconds\":0,\"sequence\":41,\"admissionNo\":5,"
     "\"issuedAt\":\"2025-11-25T01:00:03.456Z\",\"admittedAt\":\"2025-11-25T01:00:10.000Z\","
     "\"expiresAt\":\"2025-11-25T01:05:10.000Z\",\"saleOpensAt\":null}"},
    {"every field, no renames", NULL, NULL, &pb_confirmed.base, NULL, 0,
     "{\"id\":502,\"userId\":1002,\"concertId\":8,\"scheduleId\":80,\"seatNo\":50,\"price\":1,"
     "\"status\":\"CONFIRMED\",\"heldAt\":\"2025-11-25T01:01:40.123Z\","
     "\"expiresAt\":\"2025-11-25T01:06:40.123Z\",\"seats\":[]}"},
    {"an absent message", NULL, NULL, &pb_issued_none.base, NULL, 0,
     "{\"token\":null,\"created\":false}"},
    {"a present message, every field", NULL, NULL, &pb_admission.base, NULL, 0,
     "{\"settings\":{\"ratePerSecond\":50,\"maxActive\":200,\"tokenTtlSeconds\":600,"
     "\"holdTtlSeconds\":300,\"maxSeatsPerHold\":4}}"},
    {"repeated strings", NULL, NULL, &pb_touched.base, NULL, 0,
     "{\"touched\":2,\"expiredTokenIds\":[\"7-1\",\"7-\\\"2\"]}"},
    {"an event", NULL, NULL, &pb_event.base, NULL, 0,
     "{\"kind\":\"ADMITTED\",\"sequence\":5,\"concertId\":7,\"userId\":1001,\"tokenId\":\"7-41\","
     "\"admittedAt\":\"2025-11-25T01:00:10.000Z\",\"activeUntil\":\"2025-11-25T01:05:10.000Z\","
     "\"position\":0,\"etaSeconds\":0}"},
    {"enumeration 0, negative int64", NULL, NULL, &pb_seat_unspecified.base, NULL, 0,
     "{\"seatNo\":4,\"price\":-1,\"status\":\"UNSPECIFIED\",\"heldUntil\":null,\"section\":"
     "\"\",\"row\":0,\"number\":0}"},
    {"enumeration value without a name", NULL, NULL, &pb_seat_unknown.base, NULL, 0,
     "{\"seatNo\":5,\"price\":-9223372036854775808,\"status\":\"UNSPECIFIED\","
     "\"heldUntil\":null,\"section\":\"\",\"row\":0,\"number\":0}"},
    {"renamed keys", NULL, pb_keys_renamed, &pb_payment.base, NULL, 0,
     "{\"balance\":251000,\"id\":900,\"paidAt\":\"2025-11-25T01:03:20.999Z\"}"},
    {"keys against .proto order", NULL, pb_keys_reversed, &pb_token_waiting.base, NULL, 0,
     "{\"expiresAt\":null,\"status\":\"WAITING\",\"userId\":1001,\"tokenId\":\"7-42\"}"},
    {"a key twice", NULL, pb_keys_twice, &pb_seat_3.base, NULL, 0, "{\"seatNo\":3,\"seatNo\":3}"},
    {"an empty key list", NULL, pb_keys_none, &pb_token_waiting.base, NULL, 0, "{}"},
};

/* pb_rpc_write writes rep as c's route would (br_call_body, or the route's writer) and
 * returns the HTTP status it answers with; with no route, writes rep with c's key list. */
static int pb_rpc_write(struct br_json *j, const struct pb_case *c, const ProtobufCMessage *rep)
{
    const struct br_rpc *rpc = c->rpc;
    const ProtobufCMessage *body = rep;
    ProtobufCType type;

    if (rpc == NULL) {
        br_pb_json_object(j, rep, c->keys);
        return 0;
    }
    if (rpc->write != NULL) {
        return rpc->write(j, rep, c->req);
    }
    if (rpc->body != NULL) {
        ProtobufCMessage **field = br_pb_field(rep, rpc->body, &type);
        ck_assert_msg(field != NULL && type == PROTOBUF_C_TYPE_MESSAGE && *field != NULL,
                      "%s: the reply has no %s", c->name, rpc->body);
        body = *field;
    }
    br_pb_json_object(j, body, rpc->keys);
    return rpc->status;
}

/* pb_check_text writes rep as c says, into the emptied buffer, and checks the exact text. */
static void pb_check_text(const struct pb_case *c, const ProtobufCMessage *rep, const char *how)
{
    struct br_json j;

    br_buf_reset(&buf, 0);
    br_json_init(&j, &buf);
    int status = pb_rpc_write(&j, c, rep);
    const char *got = pb_text();
    ck_assert_msg(!buf.failed, "%s (%s): the buffer failed", c->name, how);
    ck_assert_msg(strcmp(got, c->want) == 0, "%s (%s):\n  want %s\n  got  %s", c->name, how,
                  c->want, got);
    ck_assert_msg(j.depth == 0, "%s (%s): depth %u left open", c->name, how, j.depth);
    ck_assert_msg(status == c->status, "%s (%s): status %d, want %d", c->name, how, status,
                  c->status);
}

static void pb_check_case(const struct pb_case *c)
{
    pb_check_text(c, c->rep, "as built");
}

SUPPORT_TABLE_TEST(pb_table, pb_cases, pb_check_case)

/* pb_check_unpacked checks c on its reply packed and unpacked, as br_call hands it over
 * (strings left out of the wire come back "", not NULL). */
static void pb_check_unpacked(const struct pb_case *c)
{
    size_t len = protobuf_c_message_get_packed_size(c->rep);
    uint8_t *wire = malloc(len + 1);
    ck_assert_ptr_nonnull(wire);
    ck_assert_uint_eq(protobuf_c_message_pack(c->rep, wire), len);
    ProtobufCMessage *rep = protobuf_c_message_unpack(c->rep->descriptor, NULL, len, wire);
    free(wire);
    ck_assert_msg(rep != NULL, "%s: does not unpack", c->name);
    pb_check_text(c, rep, "unpacked");
    protobuf_c_message_free_unpacked(rep, NULL);
}

SUPPORT_TABLE_TEST(pb_unpacked_table, pb_cases, pb_check_unpacked)

/* No message is null. */
START_TEST(pb_object_null)
{
    struct br_json j;

    br_json_init(&j, &buf);
    br_json_arr_begin(&j);
    br_pb_json_object(&j, NULL, NULL);
    br_pb_json_object(&j, NULL, br_reservations_hold_rpc.keys);
    br_json_arr_end(&j);
    ck_assert_int_eq(buf.failed, 0);
    ck_assert_str_eq(pb_text(), "[null,null]");
}
END_TEST

/* Members go into an object already holding some, with one comma between. */
START_TEST(pb_members_after_others)
{
    struct br_json j;

    br_json_init(&j, &buf);
    br_json_obj_begin(&j);
    br_json_kv_u64(&j, "first", 1);
    br_pb_json_members(&j, &pb_seat_1.base, NULL);
    br_pb_json_members(&j, &pb_balance.base, NULL);
    br_json_kv_bool(&j, "last", 1);
    br_json_obj_end(&j);
    ck_assert_int_eq(buf.failed, 0);
    ck_assert_str_eq(pb_text(),
                     "{\"first\":1,\"seatNo\":1,\"price\":99000,\"status\":\"AVAILABLE\","
                     "\"heldUntil\":null,\"section\":\"\",\"row\":0,\"number\":0,\"userId\":1001,"
                     "\"balance\":250000,\"last\":true}");
}
END_TEST

/* A whole seat map (50 seats, each status in turn), as GET .../seats sends it. */
START_TEST(pb_seat_map)
{
    static const char *const names[] = {"AVAILABLE", "HELD", "SOLD"};
    Boxoffice__V1__ListSeatsReply rep = BOXOFFICE__V1__LIST_SEATS_REPLY__INIT;
    Boxoffice__V1__Seat seats[50];
    Boxoffice__V1__Seat *ptrs[50];
    char want[4096];
    size_t at;
    struct br_json j;

    rep.schedule_id = 70;
    rep.concert_id = 7;
    at = (size_t)snprintf(want, sizeof(want), "{\"scheduleId\":70,\"concertId\":7,\"seats\":[");
    for (int i = 0; i < 50; i++) {
        boxoffice__v1__seat__init(&seats[i]);
        seats[i].seat_no = (uint32_t)i + 1;
        seats[i].price = 99000 + 1000 * i;
        seats[i].status = (Boxoffice__V1__SeatStatus)(i % 3 + 1);
        seats[i].held_until_ms = i % 3 == 1 ? INT64_MAX : 0;
        seats[i].reservation_id = i % 3 != 0 ? 1000 + (uint64_t)i : 0;
        ptrs[i] = &seats[i];
        at += (size_t)snprintf(want + at, sizeof(want) - at,
                               "%s{\"seatNo\":%d,\"price\":%d,\"status\":\"%s\"}", i > 0 ? "," : "",
                               i + 1, 99000 + 1000 * i, names[i % 3]);
    }
    snprintf(want + at, sizeof(want) - at, "]}");
    rep.n_seats = 50;
    rep.seats = ptrs;
    br_json_init(&j, &buf);
    ck_assert_int_eq(br_catalog_seats_rpc.write(&j, &rep.base, NULL), 200);
    ck_assert_int_eq(buf.failed, 0);
    ck_assert_str_eq(pb_text(), want);
}
END_TEST

/* ---- fields by member name --------------------------------------------------------------- */

/* One lookup: the field key names in m, where it is and its type; where NULL: no such field. */
struct pb_field_case {
    const char *name;
    const ProtobufCMessage *m;
    const char *key;
    const void *where;
    ProtobufCType type;
};

static const struct pb_field_case pb_field_cases[] = {
    {"uint64", &pb_token_waiting.base, "userId", &pb_token_waiting.user_id, PROTOBUF_C_TYPE_UINT64},
    {"string", &pb_token_waiting.base, "tokenId", &pb_token_waiting.token_id,
     PROTOBUF_C_TYPE_STRING},
    {"uint32", &pb_token_waiting.base, "etaSeconds", &pb_token_waiting.eta_seconds,
     PROTOBUF_C_TYPE_UINT32},
    {"enumeration", &pb_token_waiting.base, "status", &pb_token_waiting.status,
     PROTOBUF_C_TYPE_ENUM},
    {"time, by its key", &pb_token_waiting.base, "expiresAt", &pb_token_waiting.expires_at_ms,
     PROTOBUF_C_TYPE_INT64},
    {"the last field", &pb_payment.base, "balanceAfter", &pb_payment.balance_after,
     PROTOBUF_C_TYPE_INT64},
    {"renamed", &pb_held.base, "reservationId=id", &pb_held.id, PROTOBUF_C_TYPE_UINT64},
    {"a message", &pb_paid.base, "payment", &pb_paid.payment, PROTOBUF_C_TYPE_MESSAGE},
    {"a header's field: Idempotency-Key", &pb_pay_req.base, "idempotencyKey",
     &pb_pay_req.idempotency_key, PROTOBUF_C_TYPE_STRING},
    {"a header's field: Admin-Key", &pb_settings_req.base, "adminKey", &pb_settings_req.admin_key,
     PROTOBUF_C_TYPE_STRING},
    {"a header's field absent", &pb_balance.base, "idempotencyKey", NULL, 0},
    {"a body's time", &pb_concert_req.base, "saleOpensAt", &pb_concert_req.sale_opens_at_ms,
     PROTOBUF_C_TYPE_INT64},
    {"a body's string", &pb_login_req.base, "password", &pb_login_req.password,
     PROTOBUF_C_TYPE_STRING},
    {"repeated messages", &pb_seats.base, "seats", NULL, 0},
    {"repeated strings", &pb_touched.base, "expiredTokenIds", NULL, 0},
    {"the .proto name", &pb_token_waiting.base, "user_id", NULL, 0},
    {"a key's prefix", &pb_token_waiting.base, "user", NULL, 0},
    {"a key and more", &pb_token_waiting.base, "userIdx", NULL, 0},
    {"a time's .proto name", &pb_token_waiting.base, "expires_at_ms", NULL, 0},
    {"upper camel case", &pb_token_waiting.base, "UserId", NULL, 0},
    {"renamed to no field", &pb_held.base, "reservationId=reservation_id", NULL, 0},
    {"another message's field", &pb_held.base, "paidAt", NULL, 0},
    {"empty", &pb_held.base, "", NULL, 0},
};

static void pb_check_field(const struct pb_field_case *c)
{
    ProtobufCType type = (ProtobufCType)-1;
    void *where = br_pb_field(c->m, c->key, &type);

    ck_assert_msg(where == c->where, "%s: %s found at %p, want %p", c->name, c->key, where,
                  c->where);
    ck_assert_msg(c->where == NULL || type == c->type, "%s: %s of type %d, want %d", c->name,
                  c->key, (int)type, (int)c->type);
}

SUPPORT_TABLE_TEST(pb_field_table, pb_field_cases, pb_check_field)

/* Field numbers by member name: the bits of SetLimitsRequest.fields_set. */
START_TEST(pb_field_numbers)
{
    ck_assert_uint_eq(br_pb_field_number(&pb_limits_all.base, "userLoginsPerMinute"), 1);
    ck_assert_uint_eq(br_pb_field_number(&pb_limits_all.base, "addressChargesPerMinute"), 9);
    ck_assert_uint_eq(br_pb_field_number(&pb_limits_all.base, "tokenPushConnections"), 11);
    ck_assert_uint_eq(br_pb_field_number(&pb_limits_all.base, "addressRestConnections"), 12);
    ck_assert_uint_eq(br_pb_field_number(&pb_token_waiting.base, "saleOpensAt"), 13);
    ck_assert_uint_eq(br_pb_field_number(&pb_held.base, "reservationId=id"), 1);
    ck_assert_uint_eq(br_pb_field_number(&pb_limits_all.base, "userLogins"), 0);
    ck_assert_uint_eq(br_pb_field_number(&pb_limits_all.base, "user_logins_per_minute"), 0);
}
END_TEST

/* ---- programmer errors ------------------------------------------------------------------- */

static const char *const pb_keys_unknown[] = {"userId", "seatNo", NULL};
static const char *const pb_keys_prefix[] = {"seat", NULL};
static const char *const pb_keys_snake[] = {"user_id", NULL};
static const char *const pb_keys_rename_unknown[] = {"reservationId=reservation_id", NULL};
static const char *const pb_keys_rename_long[] = {"aKeyOfThirtyTwoCharactersOrMoreXY=id", NULL};
static const char *const pb_keys_int32[] = {"reason", "code", NULL};

/* One mistake: m written with keys marks the buffer failed (the route answers 500). */
struct pb_fail_case {
    const char *name;
    const ProtobufCMessage *m;
    const char *const *keys;
};

static const struct pb_fail_case pb_fail_cases[] = {
    {"a key naming no field", &pb_token_waiting.base, pb_keys_unknown},
    {"a key's prefix", &pb_seat_1.base, pb_keys_prefix},
    {"a .proto name as a key", &pb_token_waiting.base, pb_keys_snake},
    {"renamed to no field", &pb_held.base, pb_keys_rename_unknown},
    {"a renamed key too long", &pb_held.base, pb_keys_rename_long},
    {"int32, by key", &pb_status.base, pb_keys_int32},
    {"int32, every field", &pb_status.base, NULL},
    {"bytes, every field", &pb_envelope.base, NULL},
};

static void pb_check_fail(const struct pb_fail_case *c)
{
    struct br_json j;

    br_buf_reset(&buf, 0);
    br_json_init(&j, &buf);
    br_pb_json_object(&j, c->m, c->keys);
    ck_assert_msg(buf.failed, "%s: not failed, wrote %s", c->name, pb_text());
}

SUPPORT_TABLE_TEST(pb_fail_table, pb_fail_cases, pb_check_fail)

int main(void)
{
    const TTest *tests[] = {
        pb_table,    pb_unpacked_table, pb_object_null,   pb_members_after_others,
        pb_seat_map, pb_field_table,    pb_field_numbers, pb_fail_table,
        NULL};

    const struct support_case cases[] = {
        {"writer", tests, NULL, NULL, pb_buf_setup, pb_buf_teardown, 0}};

    return SUPPORT_RUN("br_pb", cases, 0);
}
