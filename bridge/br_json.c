/*
 * br_json: JSON writer over br_buf with explicit container state (see br_json.h).
 *
 * Invariant: bit d of filled is set once the container at depth d (0: the
 * top level) received a key or a value, and cleared when a container opens
 * at depth d; keyed is set only between a key and its value.
 */
#include "br_json.h"

#include "bo_time.h"

#include <string.h>

void br_json_init(struct br_json *j, struct br_buf *b)
{
    j->b = b;
    j->filled = 0;
    j->depth = 0;
    j->keyed = 0;
}

/* br_json_room makes room for a key or value of n bytes in the current container, after the
 * comma it needs when it follows another there (a value right after its key needs none),
 * and notes that the container holds one. Returns where the n bytes go, or NULL when out of
 * memory. */
static char *br_json_room(struct br_json *j, size_t n)
{
    uint64_t bit = (uint64_t)1 << j->depth;
    size_t comma = !j->keyed && (j->filled & bit) != 0;
    char *at;

    j->keyed = 0;
    j->filled |= bit;
    if ((at = br_buf_extend(j->b, comma + n)) == NULL) {
        return NULL;
    }
    if (comma) {
        *at++ = ',';
    }
    return at;
}

/* br_json_raw writes the n bytes of s as a value. */
static void br_json_raw(struct br_json *j, const char *s, size_t n)
{
    char *at = br_json_room(j, n);

    if (at != NULL) {
        memcpy(at, s, n);
    }
}

/* br_json_open writes the opening bracket c of a container one level deeper. */
static void br_json_open(struct br_json *j, char c)
{
    br_json_raw(j, &c, 1);
    if (j->depth >= BR_JSON_DEPTH_MAX) {
        j->b->failed = 1; /* nested too deep: a programmer error, answered as 500 */
        return;
    }
    j->depth++;
    j->filled &= ~((uint64_t)1 << j->depth);
}

/* br_json_close writes the closing bracket c of the innermost container. */
static void br_json_close(struct br_json *j, char c)
{
    br_buf_append(j->b, &c, 1);
    j->keyed = 0;
    if (j->depth > 0) {
        j->depth--;
    }
}

void br_json_obj_begin(struct br_json *j)
{
    br_json_open(j, '{');
}

void br_json_obj_end(struct br_json *j)
{
    br_json_close(j, '}');
}

void br_json_arr_begin(struct br_json *j)
{
    br_json_open(j, '[');
}

void br_json_arr_end(struct br_json *j)
{
    br_json_close(j, ']');
}

void br_json_key(struct br_json *j, const char *key)
{
    size_t n = strlen(key);
    char *at = br_json_room(j, n + 3);

    if (at != NULL) {
        at[0] = '"';
        memcpy(at + 1, key, n);
        memcpy(at + 1 + n, "\":", 2);
    }
    j->keyed = 1;
}

/* The characters written as a backslash and one letter; other control characters are
 * written as \u00XX. */
static const char br_json_short_escape['\\' + 1] = {
    ['"'] = '"', ['\\'] = '\\', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't',
};

void br_json_str(struct br_json *j, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const char *run;

    if (s == NULL) {
        br_json_null(j);
        return;
    }
    br_json_raw(j, "\"", 1);
    run = s;
    for (const char *p = s; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        br_buf_append(j->b, run, (size_t)(p - run));
        run = p + 1;
        char esc[6] = {'\\', br_json_short_escape[c], '0', '0', hex[c >> 4], hex[c & 15]};
        if (esc[1] != '\0') {
            br_buf_append(j->b, esc, 2);
        } else {
            esc[1] = 'u';
            br_buf_append(j->b, esc, sizeof(esc));
        }
    }
    size_t n = strlen(run);
    char *at = br_buf_extend(j->b, n + 1);
    if (at != NULL) {
        memcpy(at, run, n);
        at[n] = '"';
    }
}

/* br_json_number writes the value "-"mag when negative, else mag. */
static void br_json_number(struct br_json *j, int negative, uint64_t mag)
{
    char tmp[24];
    size_t i = sizeof(tmp);

    do {
        tmp[--i] = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag != 0);
    if (negative) {
        tmp[--i] = '-';
    }
    br_json_raw(j, tmp + i, sizeof(tmp) - i);
}

void br_json_u64(struct br_json *j, uint64_t v)
{
    br_json_number(j, 0, v);
}

void br_json_i64(struct br_json *j, int64_t v)
{
    /* -(v + 1) + 1 is the magnitude without overflowing at INT64_MIN */
    br_json_number(j, v < 0, v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v);
}

void br_json_bool(struct br_json *j, int v)
{
    if (v) {
        br_json_raw(j, "true", 4);
    } else {
        br_json_raw(j, "false", 5);
    }
}

void br_json_null(struct br_json *j)
{
    br_json_raw(j, "null", 4);
}

void br_json_time(struct br_json *j, int64_t ms)
{
    char tmp[40];

    if (ms == 0) {
        br_json_null(j);
        return;
    }
    bo_time_format_ms(ms, tmp, sizeof(tmp));
    br_json_str(j, tmp);
}

/* The members: a key, then the value of its kind (one definition, five kinds). */
#define BR_JSON_KV(kind, type)                                                                     \
    void br_json_kv_##kind(struct br_json *j, const char *key, type v)                             \
    {                                                                                              \
        br_json_key(j, key);                                                                       \
        br_json_##kind(j, v);                                                                      \
    }

BR_JSON_KV(str, const char *)
BR_JSON_KV(u64, uint64_t)
BR_JSON_KV(i64, int64_t)
BR_JSON_KV(bool, int)
BR_JSON_KV(time, int64_t)
