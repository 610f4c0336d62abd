/* Unit suite for br_json: the writer's output for one table of call sequences, no servers. */
#include "br_json.h"

#include "support.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The buffer of the running test, made empty by the checked fixture. */
static struct br_buf buf;

static void buf_setup(void)
{
    br_buf_init(&buf);
    br_buf_reset(&buf, 0);
}

static void buf_teardown(void)
{
    br_buf_fini(&buf);
}

/* text returns b's content, checking that the buffer keeps a NUL right after it. */
static const char *text(const struct br_buf *b)
{
    size_t len;
    const char *s = br_buf_content(b, &len);

    ck_assert_uint_eq(strlen(s), len);
    return s;
}

/* One case: calls that write through j, and the exact text they must leave. */
struct json_case {
    const char *name;
    void (*write)(struct br_json *j);
    const char *want;
};

static void write_empty_object(struct br_json *j)
{
    br_json_obj_begin(j);
    br_json_obj_end(j);
}

static void write_empty_array(struct br_json *j)
{
    br_json_arr_begin(j);
    br_json_arr_end(j);
}

static void write_members(struct br_json *j)
{
    br_json_obj_begin(j);
    br_json_kv_str(j, "s", "x");
    br_json_kv_u64(j, "u", 7);
    br_json_kv_i64(j, "i", -7);
    br_json_kv_bool(j, "t", 1);
    br_json_kv_bool(j, "f", 0);
    br_json_key(j, "n");
    br_json_null(j);
    br_json_obj_end(j);
}

static void write_array_of_values(struct br_json *j)
{
    br_json_arr_begin(j);
    br_json_u64(j, 1);
    br_json_str(j, "two");
    br_json_null(j);
    br_json_bool(j, 0);
    br_json_arr_end(j);
}

static void write_array_of_objects(struct br_json *j)
{
    br_json_obj_begin(j);
    br_json_key(j, "seats");
    br_json_arr_begin(j);
    for (uint64_t i = 1; i <= 3; i++) {
        br_json_obj_begin(j);
        br_json_kv_u64(j, "seatNo", i);
        br_json_obj_end(j);
    }
    br_json_arr_end(j);
    br_json_kv_u64(j, "after", 9);
    br_json_obj_end(j);
}

static void write_nested_empties(struct br_json *j)
{
    br_json_arr_begin(j);
    br_json_arr_begin(j);
    br_json_arr_end(j);
    br_json_obj_begin(j);
    br_json_obj_end(j);
    br_json_arr_begin(j);
    br_json_obj_begin(j);
    br_json_key(j, "a");
    br_json_arr_begin(j);
    br_json_arr_end(j);
    br_json_obj_end(j);
    br_json_arr_end(j);
    br_json_arr_end(j);
}

static void write_error_shape(struct br_json *j)
{
    br_json_obj_begin(j);
    br_json_key(j, "error");
    br_json_obj_begin(j);
    br_json_kv_str(j, "code", "NOT_FOUND");
    br_json_kv_str(j, "message", "no such seat");
    br_json_obj_end(j);
    br_json_obj_end(j);
}

static void write_escapes(struct br_json *j)
{
    br_json_str(j, "q\" b\\ n\n r\r t\t c\x01 e\x1f \xc3\xa9");
}

static void write_null_string(struct br_json *j)
{
    br_json_obj_begin(j);
    br_json_kv_str(j, "s", NULL);
    br_json_obj_end(j);
}

static void write_integer_limits(struct br_json *j)
{
    br_json_arr_begin(j);
    br_json_u64(j, 0);
    br_json_u64(j, UINT64_MAX);
    br_json_i64(j, 0);
    br_json_i64(j, INT64_MAX);
    br_json_i64(j, INT64_MIN);
    br_json_i64(j, -1);
    br_json_arr_end(j);
}

static void write_times(struct br_json *j)
{
    br_json_obj_begin(j);
    br_json_kv_time(j, "unset", 0);
    br_json_kv_time(j, "at", 1764032403456LL);
    br_json_kv_time(j, "epoch", 1);
    br_json_obj_end(j);
}

static void write_top_level_values(struct br_json *j)
{
    br_json_u64(j, 1);
    br_json_u64(j, 2);
}

static const struct json_case json_cases[] = {
    {"empty object", write_empty_object, "{}"},
    {"empty array", write_empty_array, "[]"},
    {"members", write_members, "{\"s\":\"x\",\"u\":7,\"i\":-7,\"t\":true,\"f\":false,\"n\":null}"},
    {"array of values", write_array_of_values, "[1,\"two\",null,false]"},
    {"array of objects", write_array_of_objects,
     "{\"seats\":[{\"seatNo\":1},{\"seatNo\":2},{\"seatNo\":3}],\"after\":9}"},
    {"nested empties", write_nested_empties, "[[],{},[{\"a\":[]}]]"},
    {"error shape", write_error_shape,
     "{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"no such seat\"}}"},
    {"escapes", write_escapes, "\"q\\\" b\\\\ n\\n r\\r t\\t c\\u0001 e\\u001f \xc3\xa9\""},
    {"NULL string", write_null_string, "{\"s\":null}"},
    {"integer limits", write_integer_limits,
     "[0,18446744073709551615,0,9223372036854775807,-9223372036854775808,-1]"},
    {"times", write_times,
     "{\"unset\":null,\"at\":\"2025-11-25T01:00:03.456Z\",\"epoch\":\"1970-01-01T00:00:00.001Z\"}"},
    {"top-level values", write_top_level_values, "1,2"},
};

/* check_json_table checks one row of json_cases, in the emptied buffer. */
static void check_json_table(const struct json_case *c)
{
    struct br_json j;

    br_buf_reset(&buf, 0);
    br_json_init(&j, &buf);
    c->write(&j);
    ck_assert_msg(!buf.failed, "%s: the buffer failed", c->name);
    ck_assert_msg(strcmp(text(&buf), c->want) == 0, "%s:\n  want %s\n  got  %s", c->name, c->want,
                  text(&buf));
    ck_assert_msg(j.depth == 0, "%s: depth %u left open", c->name, j.depth);
}

SUPPORT_TABLE_TEST(json_table, json_cases, check_json_table)

/* The writer reads nothing back: after text it did not write (an SSE "data: " prefix, head
 * room) its first value takes no comma, and text written around it changes nothing. */
START_TEST(json_starts_anywhere)
{
    struct br_json j;

    br_buf_reset(&buf, 16);
    br_buf_puts(&buf, "data: ");
    br_json_init(&j, &buf);
    br_json_obj_begin(&j);
    br_json_kv_u64(&j, "a", 1);
    br_buf_puts(&buf, "/*x*/"); /* not the writer's: no influence on the next separator */
    br_json_kv_u64(&j, "b", 2);
    br_json_obj_end(&j);
    br_buf_puts(&buf, "\n\n");
    ck_assert_str_eq(text(&buf), "data: {\"a\":1/*x*/,\"b\":2}\n\n");
}
END_TEST

/* Two writers over one buffer keep their own state. */
START_TEST(json_writers_are_independent)
{
    struct br_json first;
    struct br_json second;

    br_json_init(&first, &buf);
    br_json_arr_begin(&first);
    br_json_u64(&first, 1);
    br_json_arr_end(&first);
    br_buf_puts(&buf, " ");
    br_json_init(&second, &buf);
    br_json_arr_begin(&second);
    br_json_u64(&second, 2);
    br_json_arr_end(&second);
    ck_assert_str_eq(text(&buf), "[1] [2]");
}
END_TEST

/* Nesting up to the limit works; one deeper marks the buffer failed (the response is 500). */
START_TEST(json_depth_limit)
{
    struct br_json j;

    br_json_init(&j, &buf);
    for (int i = 0; i < BR_JSON_DEPTH_MAX; i++) {
        br_json_arr_begin(&j);
    }
    br_json_u64(&j, 1);
    br_json_u64(&j, 2);
    for (int i = 0; i < BR_JSON_DEPTH_MAX; i++) {
        br_json_arr_end(&j);
    }
    ck_assert_int_eq(buf.failed, 0);
    const char *got = text(&buf);
    ck_assert_uint_eq(strlen(got), 2 * BR_JSON_DEPTH_MAX + 3);
    ck_assert_int_eq(got[BR_JSON_DEPTH_MAX], '1');
    ck_assert_int_eq(got[BR_JSON_DEPTH_MAX + 1], ',');

    br_buf_reset(&buf, 0);
    br_json_init(&j, &buf);
    for (int i = 0; i <= BR_JSON_DEPTH_MAX; i++) {
        br_json_obj_begin(&j);
    }
    ck_assert_int_eq(buf.failed, 1);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {json_table, json_starts_anywhere, json_writers_are_independent,
                            json_depth_limit, NULL};

    const struct support_case cases[] = {{"writer", tests, NULL, NULL, buf_setup, buf_teardown, 0}};

    return SUPPORT_RUN("br_json", cases, 0);
}
