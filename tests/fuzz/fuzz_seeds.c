/*
 * fuzz_seeds: writes the seed corpus of every fuzz target under DIR (tests/fuzz/corpus):
 * real rpc envelopes of every method (requests, and replies behind their method's byte),
 * published events, queue tokens and proofs signed with the fuzz secrets at the fuzz clock,
 * and REST requests of every route. Usage: fuzz_seeds DIR. Run again when a message changes.
 */
#include "fuzz.h"

#include "bo_envelope.h"
#include "bo_error.h"
#include "identity.h"
#include "token.h"

#include "boxoffice/v1/events.pb-c.h"

#include <errno.h>
#include <jwt.h>
#include <string.h>
#include <sys/stat.h>

static const char *fuzz_seeds_root;

/* fuzz_seeds_write writes data[0..len) as DIR/target/name. */
static void fuzz_seeds_write(const char *target, const char *name, const void *data, size_t len)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", fuzz_seeds_root, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        fuzz_fail("cannot make %s: %s", path, strerror(errno));
    }
    snprintf(path, sizeof(path), "%s/%s/%s", fuzz_seeds_root, target, name);
    if ((f = fopen(path, "wb")) == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fuzz_fail("cannot write %s", path);
    }
}

/* fuzz_seeds_fill gives every singular scalar field of m a plausible value (7, "seed", the
 * enum's second value): the envelopes then carry bodies with every field, not empty ones. */
static void fuzz_seeds_fill(ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;

    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        void *p = (char *)m + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED || (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
            continue;
        }
        switch (f->type) {
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_INT64:
            *(uint64_t *)p = 7;
            break;
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_INT32:
            *(uint32_t *)p = 7;
            break;
        case PROTOBUF_C_TYPE_BOOL:
            *(protobuf_c_boolean *)p = 1;
            break;
        case PROTOBUF_C_TYPE_ENUM: {
            const ProtobufCEnumDescriptor *e = f->descriptor;
            *(int *)p = e->n_values > 1 ? e->values[1].value : e->values[0].value;
            break;
        }
        case PROTOBUF_C_TYPE_STRING:
            *(const char **)p = "seed";
            break;
        default:
            continue; /* messages, bytes: left empty */
        }
        if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset != 0) {
            *(protobuf_c_boolean *)((char *)m + f->quantifier_offset) = 1;
        }
    }
}

/* fuzz_seeds_envelopes writes, for every method, a request with an empty body, one with every
 * field filled, and a successful reply (after the method's byte). */
static void fuzz_seeds_envelopes(void)
{
    const ProtobufCServiceDescriptor *sd = bo_service_descriptor();
    union {
        ProtobufCMessage base;
        max_align_t align;
        unsigned char bytes[4096];
    } body;
    struct bo_caller who = {"s1.42.1700003600.AAAAAAAAAAAAAAAAAAAAAA.c2ln", "198.51.100.7"};
    char name[128];
    nng_msg *msg;

    for (unsigned m = 0; m < sd->n_methods; m++) {
        for (int filled = 0; filled < 3; filled++) {
            if (sd->methods[m].input->sizeof_message > sizeof(body) ||
                sd->methods[m].output->sizeof_message > sizeof(body)) {
                fuzz_fail("%s: a message larger than the seed maker's room", sd->methods[m].name);
            }
            protobuf_c_message_init(filled < 2 ? sd->methods[m].input : sd->methods[m].output,
                                    &body);
            if (filled > 0) {
                fuzz_seeds_fill(&body.base);
            }
            int rc = filled < 2 ? bo_envelope_request_encode(m, 1000 + m, filled ? &who : NULL,
                                                             &body.base, &msg)
                                : bo_envelope_reply_encode(7, BO_OK, NULL, &body.base, &msg);
            if (rc != BO_OK) {
                fuzz_fail("%s: cannot encode: %s", sd->methods[m].name, bo_error_name(rc));
            }
            if (filled < 2) {
                snprintf(name, sizeof(name), "request-%s%s", sd->methods[m].name,
                         filled ? "-filled" : "");
                fuzz_seeds_write("fuzz_envelope", name, nng_msg_body(msg), nng_msg_len(msg));
            } else {
                unsigned char reply[8192];
                if (nng_msg_len(msg) + 1 > sizeof(reply)) {
                    fuzz_fail("a reply larger than the seed maker's room");
                }
                reply[0] = (unsigned char)m;
                memcpy(reply + 1, nng_msg_body(msg), nng_msg_len(msg));
                snprintf(name, sizeof(name), "reply-%s", sd->methods[m].name);
                fuzz_seeds_write("fuzz_envelope", name, reply, nng_msg_len(msg) + 1);
            }
            nng_msg_free(msg);
        }
    }
    /* A refusal, as the client reads it. */
    struct bo_envelope_failure refused = {.retry_after = 3, .seat_nos = {4}, .n_seat_nos = 1};
    if (bo_envelope_reply_encode(7, BO_E_RATE_LIMITED, &refused, NULL, &msg) != BO_OK) {
        fuzz_fail("cannot encode a refusal");
    }
    unsigned char refusal[1024] = {0};
    memcpy(refusal + 1, nng_msg_body(msg), nng_msg_len(msg));
    fuzz_seeds_write("fuzz_envelope", "reply-refused", refusal, nng_msg_len(msg) + 1);
    nng_msg_free(msg);
}

/* fuzz_seeds_event writes topic, '\n' and the packed event m as DIR/fuzz_events/name. */
static void fuzz_seeds_event(const char *name, const char *topic, const ProtobufCMessage *m)
{
    unsigned char buf[4096];
    size_t n = strlen(topic);

    if (n + 1 + protobuf_c_message_get_packed_size(m) > sizeof(buf)) {
        fuzz_fail("an event larger than the seed maker's room");
    }
    memcpy(buf, topic, n);
    buf[n++] = '\n';
    n += protobuf_c_message_pack(m, buf + n);
    fuzz_seeds_write("fuzz_events", name, buf, n);
}

static void fuzz_seeds_events(void)
{
    Boxoffice__V1__AdmissionEvent e = BOXOFFICE__V1__ADMISSION_EVENT__INIT;
    Boxoffice__V1__SeatEvent se = BOXOFFICE__V1__SEAT_EVENT__INIT;
    Boxoffice__V1__Seat s[3];
    Boxoffice__V1__Seat *sp[3] = {&s[0], &s[1], &s[2]};

    e.kind = BOXOFFICE__V1__EVENT_KIND__EVENT_ADMITTED;
    e.sequence = 12;
    e.concert_id = 1;
    e.user_id = 42;
    e.token_id = "1-5";
    e.admitted_at_ms = FUZZ_NOW_MS;
    e.active_until_ms = FUZZ_NOW_MS + 600000;
    fuzz_seeds_event("admitted", "concert/1/", &e.base);
    fuzz_seeds_event("admitted-user", "user/42/", &e.base);
    e.kind = BOXOFFICE__V1__EVENT_KIND__EVENT_POSITION;
    e.admitted_at_ms = e.active_until_ms = 0;
    e.position = 17;
    e.eta_seconds = 9;
    fuzz_seeds_event("position", "concert/1/", &e.base);
    e.kind = BOXOFFICE__V1__EVENT_KIND__EVENT_EXPIRED;
    e.position = e.eta_seconds = 0;
    fuzz_seeds_event("expired", "concert/1/", &e.base);
    fuzz_seeds_event("ended", "ended/1/", &e.base);

    for (int i = 0; i < 3; i++) {
        boxoffice__v1__seat__init(&s[i]);
        s[i].seat_no = (uint32_t)(3 + i * 20);
        s[i].price = 1000;
    }
    s[0].status = BOXOFFICE__V1__SEAT_STATUS__SEAT_HELD;
    s[0].reservation_id = 9;
    s[0].held_until_ms = FUZZ_NOW_MS + 300000;
    s[1].status = BOXOFFICE__V1__SEAT_STATUS__SEAT_SOLD;
    s[1].reservation_id = 8;
    s[2].status = BOXOFFICE__V1__SEAT_STATUS__SEAT_AVAILABLE;
    s[2].reservation_id = 7;
    se.schedule_id = 1;
    se.concert_id = 1;
    se.n_seats = 3;
    se.seats = sp;
    fuzz_seeds_event("seats", "schedule/1/", &se.base);
}

static void fuzz_seeds_text(const char *target, const char *name, const char *text)
{
    fuzz_seeds_write(target, name, text, strlen(text));
}

static void fuzz_seeds_tokens(void)
{
    static const uint64_t ids[][3] = {{1, 42, 5}, {3, 100000, 1}, {18446744073709551615ULL, 1, 2}};
    char text[TOKEN_TEXT_MAX];
    char name[32];

    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        if (token_sign(FUZZ_TOKEN_SECRET, ids[i][0], ids[i][1], ids[i][2], text, sizeof(text)) !=
            BO_OK) {
            fuzz_fail("cannot sign a token");
        }
        snprintf(name, sizeof(name), "token-%zu", i);
        fuzz_seeds_text("fuzz_token", name, text);
    }
    fuzz_seeds_text("fuzz_token", "forged",
                    "v1.1.42.5.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
}

/* fuzz_seeds_jwt writes a JWT of claims (JSON) signed HS256 with the fuzz secret. */
static void fuzz_seeds_jwt(const char *name, const char *claims)
{
    jwt_t *jwt = NULL;
    char *text = NULL;

    if (jwt_new(&jwt) != 0 || jwt_add_grants_json(jwt, claims) != 0 ||
        jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)FUZZ_JWT_SECRET,
                    (int)strlen(FUZZ_JWT_SECRET)) != 0 ||
        (text = jwt_encode_str(jwt)) == NULL) {
        fuzz_fail("cannot sign a JWT");
    }
    fuzz_seeds_text("fuzz_identity", name, text);
    free(text);
    jwt_free(jwt);
}

static void fuzz_seeds_proofs(void)
{
    struct identity_config cfg = {FUZZ_SESSION_SECRET, "HS256", FUZZ_JWT_SECRET, NULL, 30};
    struct identity_keys *k = NULL;
    struct identity who;
    char text[IDENTITY_SESSION_MAX];
    char err[256] = "";

    if (identity_keys_open(&cfg, &k, err, sizeof(err)) != BO_OK ||
        identity_session_issue(k, 42, FUZZ_NOW_MS - 1000, 3600, text, sizeof(text), &who) !=
            BO_OK) {
        fuzz_fail("cannot issue a session: %s", err);
    }
    fuzz_seeds_text("fuzz_identity", "session", text);
    if (identity_session_issue(k, IDENTITY_USER_ID_MAX, FUZZ_NOW_MS - 7200000, 3600, text,
                               sizeof(text), &who) != BO_OK) {
        fuzz_fail("cannot issue a session");
    }
    fuzz_seeds_text("fuzz_identity", "session-expired", text);
    identity_keys_close(k);
    fuzz_seeds_jwt("jwt", "{\"sub\":\"42\",\"exp\":1700003600}");
    fuzz_seeds_jwt("jwt-nbf", "{\"sub\":\"7\",\"exp\":1700003600,\"nbf\":1699999990,\"iat\":1}");
    fuzz_seeds_jwt("jwt-expired", "{\"sub\":\"42\",\"exp\":1600000000}");
    fuzz_seeds_jwt("jwt-no-sub", "{\"exp\":1700003600}");
}

/* REST requests of every route as fuzz_http.h reads them: both HTTP targets share them. */
static const char *const fuzz_seeds_requests[][2] = {
    {"signup", "POST /api/v1/accounts\nContent-Type: application/json\n\n"
               "{\"name\":\"Ada\",\"password\":\"correct horse battery\"}"},
    {"login", "POST /api/v1/sessions\n\n{\"userId\":42,\"password\":\"correct horse\"}"},
    {"logout", "DELETE /api/v1/sessions/current\nAuthorization: Bearer "
               "s1.42.1700003600.AAAAAAAAAAAAAAAAAAAAAA.c2ln\n"},
    {"issue", "POST /api/v1/queue/tokens\nAuthorization: Bearer abc.def.ghi\n"
              "X-Forwarded-For: 203.0.113.9, 198.51.100.7\n\n{\"concertId\":1}"},
    {"token", "GET /api/v1/queue/tokens/current\nQueue-Token: v1.1.42.5.sig\n"},
    {"leave", "DELETE /api/v1/queue/tokens/current\nQueue-Token: v1.1.42.5.sig\n"},
    {"events", "GET /api/v1/queue/events?concertId=1&token=v1.1.42.5.sig\nHost: example.org\n"},
    {"push", "GET /api/v1/queue/push\nHost: [::1]:8080\n"},
    {"concerts", "GET /api/v1/concerts\n"},
    {"schedules", "GET /api/v1/concerts/1/schedules\n"},
    {"seats", "GET /api/v1/schedules/12/seats\n"},
    {"hold", "POST /api/v1/reservations\nQueue-Token: v1.1.42.5.sig\nContent-Type: "
             "application/json; charset=utf-8\n\n{\"scheduleId\":1,\"seatNo\":7}"},
    {"release", "DELETE /api/v1/reservations/9\nQueue-Token: v1.1.42.5.sig\n"},
    {"balance", "GET /api/v1/users/42/points\nAuthorization: Bearer abc\n"},
    {"charge", "POST /api/v1/users/42/points/charges\nIdempotency-Key: k-1\n\n{\"amount\":5000}"},
    {"pay", "POST /api/v1/payments\nIdempotency-Key: pay-1\nQueue-Token: v1.1.42.5.sig\n\n"
            "{\"reservationId\":9}"},
    {"concert-create",
     "POST /api/v1/admin/concerts\nAdmin-Key: k\n\n{\"title\":\"T\","
     "\"artist\":\"A\",\"venue\":\"V\",\"saleOpensAt\":\"2026-11-25T19:30:00Z\"}"},
    {"concert-update", "PATCH /api/v1/admin/concerts/3\nAdmin-Key: k\n\n{\"saleOpensAt\":null}"},
    {"schedule-create", "POST /api/v1/admin/concerts/3/schedules\nAdmin-Key: k\n\n"
                        "{\"startsAt\":\"2026-12-01T20:00:00+09:00\",\"price\":1000,"
                        "\"seatPrices\":[1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,"
                        "6,7,8,9,10,1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6,7,8,9,10]}"},
    {"admission-get", "GET /api/v1/admin/admission\nAdmin-Key: k\n"},
    {"admission-put", "PUT /api/v1/admin/admission\nAdmin-Key: k\n\n{\"ratePerSecond\":50,"
                      "\"maxActive\":500,\"tokenTtlSeconds\":600,\"holdTtlSeconds\":300}"},
    {"limits-get", "GET /api/v1/admin/limits\nAdmin-Key: k\n"},
    {"limits-patch", "PATCH /api/v1/admin/limits\nAdmin-Key: k\n\n{\"userHoldsPerMinute\":0,"
                     "\"addressLoginsPerMinute\":30}"},
    {"healthz", "GET /healthz\n"},
    {"readyz", "GET /readyz\n"},
    {"metrics", "GET /metrics\n"},
    {"chunked", "POST /api/v1/payments\nTransfer-Encoding: chunked\n\n{\"reservationId\":1e3}"},
    {"bad-id", "GET /api/v1/users/0x10/points\n"},
    {"not-allowed", "PUT /api/v1/concerts\n"},
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds DIR (tests/fuzz/corpus)\n");
        return 2;
    }
    fuzz_seeds_root = argv[1];
    if (mkdir(fuzz_seeds_root, 0755) != 0 && errno != EEXIST) {
        fuzz_fail("cannot make %s: %s", fuzz_seeds_root, strerror(errno));
    }
    fuzz_seeds_envelopes();
    fuzz_seeds_events();
    fuzz_seeds_tokens();
    fuzz_seeds_proofs();
    for (size_t i = 0; i < sizeof(fuzz_seeds_requests) / sizeof(fuzz_seeds_requests[0]); i++) {
        fuzz_seeds_text("fuzz_rest", fuzz_seeds_requests[i][0], fuzz_seeds_requests[i][1]);
        fuzz_seeds_text("fuzz_headers", fuzz_seeds_requests[i][0], fuzz_seeds_requests[i][1]);
    }
    return 0;
}
