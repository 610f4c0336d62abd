/*
 * bo_error: the one table of boxoffice error codes.
 *
 * Every fallible function in boxoffice returns an int from this table (0 is
 * BO_OK). Each code has a stable upper-case name (sent on the wire as
 * Status.reason and in REST errors as "code"), the gRPC status it travels as,
 * and a default message for people. Native errors (libpq, hiredis, nng) are
 * translated into these once, at the module edge.
 */
#ifndef BO_ERROR_H
#define BO_ERROR_H

/* gRPC status numbers, used as Status.code on the wire. */
enum bo_rpc_code {
    BO_RPC_OK = 0,
    BO_RPC_INVALID_ARGUMENT = 3,
    BO_RPC_NOT_FOUND = 5,
    BO_RPC_ALREADY_EXISTS = 6,
    BO_RPC_PERMISSION_DENIED = 7,
    BO_RPC_RESOURCE_EXHAUSTED = 8,
    BO_RPC_FAILED_PRECONDITION = 9,
    BO_RPC_INTERNAL = 13,
    BO_RPC_UNAVAILABLE = 14,
    BO_RPC_UNAUTHENTICATED = 16,
};

/* X(name, rpc code, default message) */
#define BO_ERROR_MAP(X)                                                                            \
    X(OK, OK, "ok")                                                                                \
    X(INVALID_ARGUMENT, INVALID_ARGUMENT, "a field of the request is missing or out of range")     \
    X(MALFORMED_REQUEST, INVALID_ARGUMENT, "the request could not be decoded")                     \
    X(UNKNOWN_METHOD, INVALID_ARGUMENT, "the request names an rpc method this service lacks")      \
    X(TOO_LARGE, INVALID_ARGUMENT, "the request is larger than the service accepts")               \
    X(NOT_FOUND, NOT_FOUND, "not found")                                                           \
    X(USER_NOT_FOUND, NOT_FOUND, "there is no user with this id")                                  \
    X(CONCERT_NOT_FOUND, NOT_FOUND, "there is no concert with this id")                            \
    X(SCHEDULE_NOT_FOUND, NOT_FOUND, "there is no schedule with this id")                          \
    X(SEAT_NOT_FOUND, NOT_FOUND, "there is no seat with this number on this date")                 \
    X(RESERVATION_NOT_FOUND, NOT_FOUND, "there is no reservation with this id")                    \
    X(SEAT_TAKEN, ALREADY_EXISTS, "the seat is already held or sold")                              \
    X(NOT_ENOUGH_SEATS, FAILED_PRECONDITION,                                                       \
      "the section does not have that many free seats together: try fewer, apart or another "      \
      "section")                                                                                   \
    X(SECTION_NOT_FOUND, NOT_FOUND, "there is no section with this name on this date")             \
    X(SECTION_REQUIRED, INVALID_ARGUMENT,                                                          \
      "this date has more than 2,000 seats: ask for one section's seats")                          \
    X(NO_SECTIONS, INVALID_ARGUMENT, "this date is in the hall, which has no sections")            \
    X(VENUE_NOT_FOUND, NOT_FOUND, "there is no venue with this id")                                \
    X(PAYMENT_NOT_FOUND, NOT_FOUND, "there is no payment with this id")                            \
    X(REFUND_CLOSED, FAILED_PRECONDITION, "refunds of this date have closed")                      \
    X(HOLD_LIMIT, FAILED_PRECONDITION,                                                             \
      "you already hold seats on this date: pay for them or release them first")                   \
    X(HOLD_EXPIRED, FAILED_PRECONDITION, "the hold has expired and the seat was released")         \
    X(RESERVATION_NOT_HELD, FAILED_PRECONDITION,                                                   \
      "the reservation is no longer held (paid, released or expired)")                             \
    X(INSUFFICIENT_POINTS, FAILED_PRECONDITION, "the balance is lower than the price")             \
    X(BALANCE_LIMIT, FAILED_PRECONDITION, "the charge would take the balance past its maximum")    \
    X(IDEMPOTENCY_MISMATCH, FAILED_PRECONDITION,                                                   \
      "this Idempotency-Key was already used for a different request")                             \
    X(TOKEN_MISSING, UNAUTHENTICATED, "a Queue-Token is required")                                 \
    X(TOKEN_INVALID, UNAUTHENTICATED, "the queue token is malformed or its signature is wrong")    \
    X(TOKEN_EXPIRED, UNAUTHENTICATED, "the queue token has expired: join the queue again")         \
    X(TOKEN_NOT_ACTIVE, PERMISSION_DENIED,                                                         \
      "the queue token is still waiting in line: wait for admission")                              \
    X(WRONG_CONCERT, PERMISSION_DENIED, "the queue token was issued for another concert")          \
    X(NOT_OWNER, PERMISSION_DENIED, "this belongs to another user")                                \
    X(ADMIN_KEY_INVALID, PERMISSION_DENIED, "a valid Admin-Key is required")                       \
    X(SESSION_MISSING, UNAUTHENTICATED,                                                            \
      "sign in first: this needs Authorization: Bearer <session or identity token>")               \
    X(SESSION_INVALID, UNAUTHENTICATED,                                                            \
      "the session or identity token is malformed or its signature is wrong")                      \
    X(SESSION_EXPIRED, UNAUTHENTICATED,                                                            \
      "the session has expired or was logged out: sign in again")                                  \
    X(LOGIN_FAILED, UNAUTHENTICATED, "the user id or the password is wrong")                       \
    X(RATE_LIMITED, RESOURCE_EXHAUSTED, "too many requests: try again after Retry-After seconds")  \
    X(UNAVAILABLE, UNAVAILABLE, "the service is unavailable: try again shortly")                   \
    X(TIMEOUT, UNAVAILABLE, "the service did not answer in time: try again shortly")               \
    X(NOMEM, INTERNAL, "out of memory")                                                            \
    X(INTERNAL, INTERNAL, "internal error")

#define BO_ERROR_ENUM_(name, rpc, msg) BO_E_##name,
enum bo_error { BO_ERROR_MAP(BO_ERROR_ENUM_) BO_E_COUNT_ };
#undef BO_ERROR_ENUM_
#define BO_OK BO_E_OK

/* bo_error_name returns the stable name of err ("SEAT_TAKEN"), "INTERNAL" if unknown. */
const char *bo_error_name(int err);

/* bo_error_message returns the default message of err. */
const char *bo_error_message(int err);

/* bo_error_rpc_code returns the gRPC status number err travels as. */
int bo_error_rpc_code(int err);

/* bo_error_from_name maps a name back to its code; unknown names map by
 * rpc_code to a generic code of that status, so newer servers stay readable. */
int bo_error_from_name(const char *name, int rpc_code);

/* bo_rpc_code_name returns "NOT_FOUND" etc. for a gRPC status number. */
const char *bo_rpc_code_name(int rpc_code);

#endif
