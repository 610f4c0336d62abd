/*
 * br_buf: a growable byte buffer kept per worker thread and reused by every
 * request, so building a response allocates only when a larger one than the
 * buffer holds comes along. A buffer grown past 64 kB (a big section's map) is
 * given back once its answer is sent (br_buf_trim) or at its next reset, so no
 * worker keeps a rare large answer's memory.
 *
 * A buffer starts with `head` bytes of room in front of its content: the
 * response's status line and headers are written there once the body (and so
 * its length) is known, and the whole response leaves in one write.
 */
#ifndef BR_BUF_H
#define BR_BUF_H

#include <stddef.h>
#include <stdint.h>

struct br_buf {
    char *data;
    size_t len;  /* bytes used, head included */
    size_t cap;  /* bytes allocated */
    size_t head; /* room reserved in front of the content */
    int failed;  /* an append ran out of memory; the content is incomplete */
};

/* br_buf_init makes b empty with nothing allocated. */
void br_buf_init(struct br_buf *b);

/* br_buf_fini frees b's memory; safe on a zeroed or initialised buffer. */
void br_buf_fini(struct br_buf *b);

/* br_buf_trim frees b's memory if it grew past 64 kB, leaving b empty; else leaves b as it
 * is. */
void br_buf_trim(struct br_buf *b);

/* br_buf_reset empties b, keeping its memory unless it grew past 64 kB, and reserves head
 * bytes in front. */
void br_buf_reset(struct br_buf *b, size_t head);

/* br_buf_extend makes the content n bytes longer and returns where those bytes start, for the
 * caller to fill in; on out of memory sets b->failed, adds nothing and returns NULL. */
char *br_buf_extend(struct br_buf *b, size_t n);

/* br_buf_append appends n bytes; on out of memory sets b->failed and drops them. */
void br_buf_append(struct br_buf *b, const void *p, size_t n);

/* br_buf_puts appends a NUL-terminated string. */
void br_buf_puts(struct br_buf *b, const char *s);

/* br_buf_printf appends formatted text. */
void br_buf_printf(struct br_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* br_buf_content returns the content after the head room; *len receives its length. */
const char *br_buf_content(const struct br_buf *b, size_t *len);

#endif
