/* bo_time: wall-clock milliseconds and RFC 3339 UTC formatting/parsing. */
#ifndef BO_TIME_H
#define BO_TIME_H

#include <stddef.h>
#include <stdint.h>

/* bo_time_now_ms returns the wall clock in Unix milliseconds. */
int64_t bo_time_now_ms(void);

/* bo_time_mono_ms returns a monotonic clock in milliseconds, for intervals. */
int64_t bo_time_mono_ms(void);

/* Bytes of a formatted time with its NUL. */
#define BO_TIME_TEXT_MAX 25

/* bo_time_format_ms writes ms as "2026-11-25T01:02:03.456Z" into buf (at least
 * BO_TIME_TEXT_MAX bytes; a shorter buffer gets the text cut to fit). No lock, no allocation. */
void bo_time_format_ms(int64_t ms, char *buf, size_t len);

/* bo_time_parse_rfc3339 reads "YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm)" into Unix ms;
 * returns 0 or BO_E_INVALID_ARGUMENT. */
__attribute__((warn_unused_result)) int bo_time_parse_rfc3339(const char *text, int64_t *ms);

#endif
