/*
 * br_json: a small JSON writer appending to a br_buf.
 *
 * Separators are inferred from the last byte written (a comma goes in unless
 * the previous byte opened an object or array or ended a key), so callers
 * only say what comes next. Keys are trusted literals; string values are
 * escaped. Times are Unix milliseconds written as RFC 3339 UTC strings, or
 * null when 0.
 */
#ifndef BR_JSON_H
#define BR_JSON_H

#include <stdint.h>

#include "br_buf.h"

/* br_json_obj_begin opens an object (as a value: after a key, in an array, or at the top). */
void br_json_obj_begin(struct br_buf *b);

/* br_json_obj_end closes an object. */
void br_json_obj_end(struct br_buf *b);

/* br_json_arr_begin opens an array. */
void br_json_arr_begin(struct br_buf *b);

/* br_json_arr_end closes an array. */
void br_json_arr_end(struct br_buf *b);

/* br_json_key writes "key": (key is a literal needing no escapes). */
void br_json_key(struct br_buf *b, const char *key);

/* br_json_str writes s as an escaped JSON string (NULL writes null). */
void br_json_str(struct br_buf *b, const char *s);

/* br_json_u64 writes an unsigned integer. */
void br_json_u64(struct br_buf *b, uint64_t v);

/* br_json_i64 writes a signed integer. */
void br_json_i64(struct br_buf *b, int64_t v);

/* br_json_bool writes true or false. */
void br_json_bool(struct br_buf *b, int v);

/* br_json_null writes null. */
void br_json_null(struct br_buf *b);

/* br_json_time writes ms as an RFC 3339 UTC string, or null when ms is 0. */
void br_json_time(struct br_buf *b, int64_t ms);

/* br_json_kv_str writes the member "key":"s". */
void br_json_kv_str(struct br_buf *b, const char *key, const char *s);

/* br_json_kv_u64 writes the member "key":v. */
void br_json_kv_u64(struct br_buf *b, const char *key, uint64_t v);

/* br_json_kv_i64 writes the member "key":v. */
void br_json_kv_i64(struct br_buf *b, const char *key, int64_t v);

/* br_json_kv_bool writes the member "key":true or false. */
void br_json_kv_bool(struct br_buf *b, const char *key, int v);

/* br_json_kv_time writes the member "key" as an RFC 3339 string, or null when ms is 0. */
void br_json_kv_time(struct br_buf *b, const char *key, int64_t ms);

#endif
