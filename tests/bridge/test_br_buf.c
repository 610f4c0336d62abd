/*
 * Unit suite of br_buf: a response buffer keeps its memory from one request to the next, but
 * gives back what a rare large answer made it grow to (once the answer is sent, or at the next
 * reset), and its head room and content read back as written.
 */
#include "br_buf.h"
#include "support.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define HEAD 64

/* The content after the head room reads back as appended, and reset empties it. */
START_TEST(test_content)
{
    struct br_buf b;
    size_t len;

    br_buf_init(&b);
    br_buf_reset(&b, HEAD);
    br_buf_puts(&b, "seat ");
    br_buf_printf(&b, "%d of %s", 7, "A");
    ck_assert_str_eq(br_buf_content(&b, &len), "seat 7 of A");
    ck_assert_uint_eq(len, strlen("seat 7 of A"));
    ck_assert_uint_eq(b.head, HEAD);
    br_buf_reset(&b, HEAD);
    br_buf_content(&b, &len);
    ck_assert_uint_eq(len, 0);
    br_buf_fini(&b);
}
END_TEST

/* A hall's seat map (a few kB) is built again in the same memory: no allocation a request. */
START_TEST(test_small_kept)
{
    static char map[8 * 1024];
    struct br_buf b;

    memset(map, 'x', sizeof(map));
    br_buf_init(&b);
    br_buf_reset(&b, HEAD);
    br_buf_append(&b, map, sizeof(map));
    const char *data = b.data;
    size_t cap = b.cap;
    br_buf_reset(&b, HEAD);
    ck_assert_ptr_eq(b.data, data);
    ck_assert_uint_eq(b.cap, cap);
    br_buf_append(&b, map, sizeof(map));
    ck_assert_ptr_eq(b.data, data);
    ck_assert_int_eq(b.failed, 0);
    br_buf_fini(&b);
}
END_TEST

/* A 2,000-seat section's map (~200 kB) is written whole, and the next reset gives the memory
 * back: the worker holds no more than 64 kB afterwards, with its head room reserved. */
START_TEST(test_large_given_back)
{
    size_t big = 200 * 1024, len;
    char *section = malloc(big);
    struct br_buf b;

    ck_assert_ptr_nonnull(section);
    memset(section, 's', big);
    br_buf_init(&b);
    br_buf_reset(&b, HEAD);
    br_buf_append(&b, section, big);
    const char *got = br_buf_content(&b, &len);
    ck_assert_uint_eq(len, big);
    ck_assert_int_eq(memcmp(got, section, big), 0);
    ck_assert_uint_gt(b.cap, big);

    br_buf_reset(&b, HEAD);
    ck_assert_uint_le(b.cap, 64 * 1024);
    ck_assert_uint_eq(b.head, HEAD);
    br_buf_content(&b, &len);
    ck_assert_uint_eq(len, 0);
    br_buf_puts(&b, "next");
    ck_assert_str_eq(br_buf_content(&b, &len), "next");
    br_buf_fini(&b);
    free(section);
}
END_TEST

/* Once an answer is sent, trim gives back a buffer a big answer grew and keeps a small one. */
START_TEST(test_trim)
{
    static char map[8 * 1024];
    size_t big = 100 * 1024, len;
    char *section = calloc(1, big);
    struct br_buf b;

    ck_assert_ptr_nonnull(section);
    br_buf_init(&b);
    br_buf_reset(&b, HEAD);
    br_buf_append(&b, map, sizeof(map));
    const char *data = b.data;
    br_buf_trim(&b);
    ck_assert_ptr_eq(b.data, data);

    br_buf_append(&b, section, big);
    br_buf_trim(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.cap, 0);
    br_buf_content(&b, &len);
    ck_assert_uint_eq(len, 0);
    br_buf_reset(&b, HEAD);
    br_buf_puts(&b, "again");
    ck_assert_str_eq(br_buf_content(&b, &len), "again");
    br_buf_fini(&b);
    free(section);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {test_content, test_small_kept, test_large_given_back, test_trim, NULL};

    return support_tests_run("br_buf", "buf", tests);
}
