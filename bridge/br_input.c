/* br_input: JSON body parsing, field checks, whole numbers into requests (see br_input.h). */
#include "br_input.h"

#include "br_pb.h"
#include "br_status.h"

#include <math.h>
#include <string.h>

int br_input_object(struct br_req *r, cJSON **out)
{
    const char *body;
    size_t len;
    int status;
    cJSON *root;

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

/* br_input_store puts v into m's whole-number field name; answers 500 when m has none. */
static int br_input_store(struct br_req *r, ProtobufCMessage *m, const char *name, int64_t v)
{
    ProtobufCType type;
    void *p = br_pb_field(m, name, &type);

    if (p != NULL && type == PROTOBUF_C_TYPE_UINT64) {
        *(uint64_t *)p = (uint64_t)v;
    } else if (p != NULL && type == PROTOBUF_C_TYPE_UINT32) {
        *(uint32_t *)p = (uint32_t)v;
    } else if (p != NULL && type == PROTOBUF_C_TYPE_INT64) {
        *(int64_t *)p = v;
    } else {
        return br_http_error(r, BO_E_INTERNAL, "%s has no whole-number field %s",
                             m->descriptor->name, name);
    }
    return 0;
}

int br_input_message(struct br_req *r, const struct br_input_field *f, ProtobufCMessage *m)
{
    cJSON *body = NULL;
    int status;

    if ((status = br_input_object(r, &body)) != 0) {
        return status;
    }
    for (; f->name != NULL && status == 0; f++) {
        int64_t v = 0;
        int present = 0;
        status = br_input_int(r, body, f->name, f->required, f->min, f->max, &v, &present);
        if (status == 0 && present) {
            status = br_input_store(r, m, f->name, v);
        }
    }
    cJSON_Delete(body);
    return status;
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
