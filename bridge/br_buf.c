/* br_buf: growable reusable buffer with head room (see br_buf.h). */
#include "br_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BR_BUF_MIN 4096

/* A buffer grown past this is given back (br_buf_trim, and at its next reset). A worker that
 * answered a 2,000-seat section once (~200 kB of JSON) would otherwise hold that much for the rest
 * of its life, and the bridge runs 1,100 workers; seat maps of a hall and token answers stay far
 * below it and keep their memory. */
#define BR_BUF_KEEP (64 * 1024)

void br_buf_init(struct br_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void br_buf_fini(struct br_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

/* br_buf_reserve makes room for n more bytes; returns 0, or -1 (and sets failed) if out of
 * memory. */
static int br_buf_reserve(struct br_buf *b, size_t n)
{
    if (b->failed) {
        return -1;
    }
    if (b->cap - b->len > n) {
        return 0;
    }
    size_t cap = b->cap < BR_BUF_MIN ? BR_BUF_MIN : b->cap;
    while (cap - b->len <= n) {
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (p == NULL) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void br_buf_trim(struct br_buf *b)
{
    if (b->cap > BR_BUF_KEEP) {
        br_buf_fini(b);
    }
}

void br_buf_reset(struct br_buf *b, size_t head)
{
    br_buf_trim(b);
    b->len = 0;
    b->failed = 0;
    b->head = 0;
    if (br_buf_reserve(b, head) == 0) {
        b->head = head;
        b->len = head;
    }
}

char *br_buf_extend(struct br_buf *b, size_t n)
{
    char *at;

    if (br_buf_reserve(b, n) != 0) {
        return NULL;
    }
    at = b->data + b->len;
    b->len += n;
    b->data[b->len] = '\0';
    return at;
}

void br_buf_append(struct br_buf *b, const void *p, size_t n)
{
    char *at = br_buf_extend(b, n);

    if (at != NULL) {
        memcpy(at, p, n);
    }
}

void br_buf_puts(struct br_buf *b, const char *s)
{
    br_buf_append(b, s, strlen(s));
}

void br_buf_printf(struct br_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (br_buf_reserve(b, 128) != 0) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        if (br_buf_reserve(b, (size_t)n + 1) != 0) {
            return;
        }
        va_start(ap, fmt);
        n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

const char *br_buf_content(const struct br_buf *b, size_t *len)
{
    *len = b->len - b->head;
    return b->data != NULL ? b->data + b->head : "";
}
