/* br_json: JSON writer over br_buf (see br_json.h). */
#include "br_json.h"

#include "bo_time.h"

#include <string.h>

/* br_json_sep writes the comma a new value or key needs, judged by the last byte written. */
static void br_json_sep(struct br_buf *b)
{
    if (b->len > b->head) {
        char last = b->data[b->len - 1];
        if (last != '{' && last != '[' && last != ':') {
            br_buf_append(b, ",", 1);
        }
    }
}

void br_json_obj_begin(struct br_buf *b)
{
    br_json_sep(b);
    br_buf_append(b, "{", 1);
}

void br_json_obj_end(struct br_buf *b)
{
    br_buf_append(b, "}", 1);
}

void br_json_arr_begin(struct br_buf *b)
{
    br_json_sep(b);
    br_buf_append(b, "[", 1);
}

void br_json_arr_end(struct br_buf *b)
{
    br_buf_append(b, "]", 1);
}

void br_json_key(struct br_buf *b, const char *key)
{
    size_t n = strlen(key);
    br_json_sep(b);
    br_buf_append(b, "\"", 1);
    br_buf_append(b, key, n);
    br_buf_append(b, "\":", 2);
}

void br_json_str(struct br_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const char *run;

    if (s == NULL) {
        br_json_null(b);
        return;
    }
    br_json_sep(b);
    br_buf_append(b, "\"", 1);
    run = s;
    for (const char *p = s; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        br_buf_append(b, run, (size_t)(p - run));
        run = p + 1;
        switch (c) {
        case '"':
            br_buf_append(b, "\\\"", 2);
            break;
        case '\\':
            br_buf_append(b, "\\\\", 2);
            break;
        case '\n':
            br_buf_append(b, "\\n", 2);
            break;
        case '\r':
            br_buf_append(b, "\\r", 2);
            break;
        case '\t':
            br_buf_append(b, "\\t", 2);
            break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            br_buf_append(b, esc, sizeof(esc));
            break;
        }
        }
    }
    br_buf_puts(b, run);
    br_buf_append(b, "\"", 1);
}

void br_json_u64(struct br_buf *b, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);

    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    br_json_sep(b);
    br_buf_append(b, tmp + i, sizeof(tmp) - i);
}

void br_json_i64(struct br_buf *b, int64_t v)
{
    if (v < 0) {
        br_json_sep(b);
        br_buf_append(b, "-", 1);
        /* The '-' ends no value, so br_json_u64 adds no comma after it. */
        uint64_t mag = (uint64_t)(-(v + 1)) + 1;
        char tmp[24];
        size_t i = sizeof(tmp);
        do {
            tmp[--i] = (char)('0' + mag % 10);
            mag /= 10;
        } while (mag != 0);
        br_buf_append(b, tmp + i, sizeof(tmp) - i);
        return;
    }
    br_json_u64(b, (uint64_t)v);
}

void br_json_bool(struct br_buf *b, int v)
{
    br_json_sep(b);
    if (v) {
        br_buf_append(b, "true", 4);
    } else {
        br_buf_append(b, "false", 5);
    }
}

void br_json_null(struct br_buf *b)
{
    br_json_sep(b);
    br_buf_append(b, "null", 4);
}

void br_json_time(struct br_buf *b, int64_t ms)
{
    char tmp[40];

    if (ms == 0) {
        br_json_null(b);
        return;
    }
    bo_time_format_ms(ms, tmp, sizeof(tmp));
    br_json_str(b, tmp);
}

void br_json_kv_str(struct br_buf *b, const char *key, const char *s)
{
    br_json_key(b, key);
    br_json_str(b, s);
}

void br_json_kv_u64(struct br_buf *b, const char *key, uint64_t v)
{
    br_json_key(b, key);
    br_json_u64(b, v);
}

void br_json_kv_i64(struct br_buf *b, const char *key, int64_t v)
{
    br_json_key(b, key);
    br_json_i64(b, v);
}

void br_json_kv_bool(struct br_buf *b, const char *key, int v)
{
    br_json_key(b, key);
    br_json_bool(b, v);
}

void br_json_kv_time(struct br_buf *b, const char *key, int64_t ms)
{
    br_json_key(b, key);
    br_json_time(b, ms);
}
