/* br_input: JSON body parsing, member checks, members into requests (see br_input.h). */
#include "br_input.h"

#include "bo_time.h"
#include "br_pb.h"
#include "br_status.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* How a time is written, for messages. */
#define BR_INPUT_TIME_EXAMPLE "an RFC 3339 time such as \"2026-11-25T19:30:00Z\""

int br_input_object(struct br_req *r, const cJSON **out)
{
    const char *body;
    size_t len;
    int status;
    cJSON *root;

    if (r->json != NULL) {
        *out = r->json;
        return 0;
    }
    if ((status = br_http_body(r, &body, &len)) != 0) {
        return status;
    }
    if (len == 0) {
        return br_http_error(r, BR_E_INVALID_JSON, "the request needs a JSON object as its body");
    }
    root = cJSON_ParseWithLength(body, len);
    if (root == NULL) {
        const char *at = cJSON_GetErrorPtr();
        long off = at != NULL && at >= body && at <= body + len ? (long)(at - body) : -1;
        return br_http_error(r, BR_E_INVALID_JSON,
                             "the request body is not valid JSON (error near byte %ld)", off);
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return br_http_error(r, BR_E_INVALID_JSON, "the request body must be a JSON object");
    }
    r->json = root;
    *out = root;
    return 0;
}

static const char *br_input_kind(const cJSON *item)
{
    if (cJSON_IsString(item)) {
        return "a string";
    }
    if (cJSON_IsBool(item)) {
        return "a boolean";
    }
    if (cJSON_IsArray(item)) {
        return "an array";
    }
    if (cJSON_IsObject(item)) {
        return "an object";
    }
    if (cJSON_IsNull(item)) {
        return "null";
    }
    if (cJSON_IsNumber(item)) {
        return "a number";
    }
    return "something else";
}

int br_input_number(struct br_req *r, const cJSON *item, const char *name, int64_t min, int64_t max,
                    int64_t *out)
{
    double v;

    if (!cJSON_IsNumber(item)) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT,
                             "%s must be a whole number from %lld to %lld, not %s", name,
                             (long long)min, (long long)max, br_input_kind(item));
    }
    v = item->valuedouble;
    if (!isfinite(v) || floor(v) != v) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT,
                             "%s must be a whole number from %lld to %lld, not %g", name,
                             (long long)min, (long long)max, v);
    }
    if (v < (double)min || v > (double)max) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT,
                             fabs(v) < 1e18
                                 ? "%s must be a whole number from %lld to %lld, not %.0f"
                                 : "%s must be a whole number from %lld to %lld, not %g",
                             name, (long long)min, (long long)max, v);
    }
    *out = (int64_t)v;
    return 0;
}

int br_input_int(struct br_req *r, const cJSON *obj, const char *name, int required, int64_t min,
                 int64_t max, int64_t *out, int *present)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (item == NULL || cJSON_IsNull(item)) {
        if (required) {
            return br_http_error(r, BO_E_INVALID_ARGUMENT,
                                 "%s is required: a whole number from %lld to %lld", name,
                                 (long long)min, (long long)max);
        }
        if (present != NULL) {
            *present = 0;
        }
        return 0;
    }
    int status = br_input_number(r, item, name, min, max, out);
    if (status == 0 && present != NULL) {
        *present = 1;
    }
    return status;
}

int br_input_time(struct br_req *r, const cJSON *obj, const char *name, int required, int nullable,
                  int64_t *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    const char *or_null = nullable ? ", or null" : "";
    int64_t ms = 0;

    if (item == NULL && !required) {
        return 0;
    }
    if (item == NULL || (cJSON_IsNull(item) && !nullable)) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT, "%s is required: %s%s", name,
                             BR_INPUT_TIME_EXAMPLE, or_null);
    }
    if (cJSON_IsNull(item)) {
        *out = 0;
        return 0;
    }
    if (!cJSON_IsString(item)) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT, "%s must be %s%s, not %s", name,
                             BR_INPUT_TIME_EXAMPLE, or_null, br_input_kind(item));
    }
    if (bo_time_parse_rfc3339(item->valuestring, &ms) != 0) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT, "%s must be %s%s, not \"%.64s\"", name,
                             BR_INPUT_TIME_EXAMPLE, or_null, item->valuestring);
    }
    *out = ms;
    return 0;
}

/* br_input_store puts the value of member f of obj (there, or required) into m's field of f's
 * name; answers the problem with the member, or 500 when m has no such
 * field. */
static int br_input_store(struct br_req *r, const cJSON *obj, const struct br_input_field *f,
                          ProtobufCMessage *m)
{
    ProtobufCType type;
    void *p = br_pb_field(m, f->name, &type);
    const char *s = NULL;
    int64_t v = 0;
    int status = 0;

    switch (f->kind) {
    case BR_INPUT_INT:
        status = br_input_int(r, obj, f->name, 1, f->min, f->max, &v, NULL);
        break;
    case BR_INPUT_STRING:
        status = br_input_string(r, obj, f->name, (size_t)f->max, &s);
        break;
    case BR_INPUT_TIME:
        status = br_input_time(r, obj, f->name, 1, 1, &v);
        break;
    }
    if (status != 0) {
        return status;
    }
    if (p != NULL && f->kind == BR_INPUT_INT && type == PROTOBUF_C_TYPE_UINT64) {
        *(uint64_t *)p = (uint64_t)v;
    } else if (p != NULL && f->kind == BR_INPUT_INT && type == PROTOBUF_C_TYPE_UINT32) {
        *(uint32_t *)p = (uint32_t)v;
    } else if (p != NULL && f->kind != BR_INPUT_STRING && type == PROTOBUF_C_TYPE_INT64) {
        *(int64_t *)p = v;
    } else if (p != NULL && f->kind == BR_INPUT_STRING && type == PROTOBUF_C_TYPE_STRING) {
        *(const char **)p = s; /* borrowed from r->json */
    } else {
        return br_http_error(r, BO_E_INTERNAL, "%s has no field %s of that kind",
                             m->descriptor->name, f->name);
    }
    return 0;
}

int br_input_message(struct br_req *r, const struct br_input_field *f, ProtobufCMessage *m)
{
    const cJSON *body = NULL;
    int status;

    if ((status = br_input_object(r, &body)) != 0) {
        return status;
    }
    for (; f->name != NULL && status == 0; f++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(body, f->name);
        int absent = item == NULL || (f->kind != BR_INPUT_TIME && cJSON_IsNull(item));
        if (!absent || f->required) {
            status = br_input_store(r, body, f, m);
        }
    }
    return status;
}

int br_input_only(struct br_req *r, const struct br_input_field *f)
{
    const cJSON *body = NULL;
    const cJSON *item;
    int status;

    if ((status = br_input_object(r, &body)) != 0) {
        return status;
    }
    cJSON_ArrayForEach(item, body)
    {
        const struct br_input_field *k = f;
        while (k->name != NULL && strcmp(k->name, item->string) != 0) {
            k++;
        }
        if (k->name != NULL) {
            continue;
        }
        char names[512];
        size_t n = 0;
        for (k = f; k->name != NULL && n < sizeof(names); k++) {
            int w = snprintf(names + n, sizeof(names) - n, "%s%s", k == f ? "" : ", ", k->name);
            n += w > 0 ? (size_t)w : 0;
        }
        return br_http_error(r, BO_E_INVALID_ARGUMENT, "unknown member \"%.64s\": this takes %s",
                             item->string, f->name != NULL ? names : "no members");
    }
    return 0;
}

int br_input_string(struct br_req *r, const cJSON *obj, const char *name, size_t maxlen,
                    const char **out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (item == NULL || cJSON_IsNull(item)) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT, "%s is required: a non-empty string", name);
    }
    if (!cJSON_IsString(item)) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT, "%s must be a string, not %s", name,
                             br_input_kind(item));
    }
    size_t len = strlen(item->valuestring);
    if (len == 0) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT, "%s must not be empty", name);
    }
    if (len > maxlen) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT, "%s must be at most %zu bytes, not %zu",
                             name, maxlen, len);
    }
    *out = item->valuestring;
    return 0;
}
