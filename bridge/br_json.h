/*
 * br_json: a small JSON writer appending to a br_buf, with explicit state.
 *
 * The writer knows where it stands: one bit per open container says whether
 * that container holds a value yet, and a flag says a key was just written.
 * A comma goes in exactly when a key or value follows another in the same
 * container; nothing is read back from the buffer, so a writer may start
 * anywhere in one (after an SSE "data: " prefix, say). Callers only say what
 * comes next. Keys are trusted literals; string values are escaped. Times are
 * Unix milliseconds written as RFC 3339 UTC strings, or null when 0.
 *
 * A writer lives on the caller's stack and allocates nothing; the buffer
 * grows as br_buf does. Nesting deeper than BR_JSON_DEPTH_MAX is a
 * programmer error: the buffer is marked failed (the response becomes 500).
 */
#ifndef BR_JSON_H
#define BR_JSON_H

#include <stdint.h>

#include "br_buf.h"

/* The deepest nesting of objects and arrays a writer follows. */
#define BR_JSON_DEPTH_MAX 63

/* A writer over a buffer; fill with br_json_init, no clean-up needed. */
struct br_json {
    struct br_buf *b; /* borrowed */
    uint64_t filled;  /* bit d: the container at depth d holds a value (bit 0: the top level) */
    unsigned depth;   /* open containers */
    int keyed;        /* a key was written: its value follows without a comma */
};

/* br_json_init makes j write at the end of b (borrowed while j is used), at the top level. */
void br_json_init(struct br_json *j, struct br_buf *b);

/* br_json_obj_begin opens an object (as a value: after a key, in an array, or at the top). */
void br_json_obj_begin(struct br_json *j);

/* br_json_obj_end closes the innermost object. */
void br_json_obj_end(struct br_json *j);

/* br_json_arr_begin opens an array. */
void br_json_arr_begin(struct br_json *j);

/* br_json_arr_end closes the innermost array. */
void br_json_arr_end(struct br_json *j);

/* br_json_key writes "key": (key is a literal needing no escapes). */
void br_json_key(struct br_json *j, const char *key);

/* br_json_str writes s as an escaped JSON string (NULL writes null). */
void br_json_str(struct br_json *j, const char *s);

/* br_json_u64 writes an unsigned integer. */
void br_json_u64(struct br_json *j, uint64_t v);

/* br_json_i64 writes a signed integer. */
void br_json_i64(struct br_json *j, int64_t v);

/* br_json_bool writes true or false. */
void br_json_bool(struct br_json *j, int v);

/* br_json_null writes null. */
void br_json_null(struct br_json *j);

/* br_json_time writes ms as an RFC 3339 UTC string, or null when ms is 0. */
void br_json_time(struct br_json *j, int64_t ms);

/* br_json_kv_str writes the member "key":"s". */
void br_json_kv_str(struct br_json *j, const char *key, const char *v);

/* br_json_kv_u64 writes the member "key":v. */
void br_json_kv_u64(struct br_json *j, const char *key, uint64_t v);

/* br_json_kv_i64 writes the member "key":v. */
void br_json_kv_i64(struct br_json *j, const char *key, int64_t v);

/* br_json_kv_bool writes the member "key":true or false. */
void br_json_kv_bool(struct br_json *j, const char *key, int v);

/* br_json_kv_time writes the member "key" as an RFC 3339 string, or null when ms is 0. */
void br_json_kv_time(struct br_json *j, const char *key, int64_t v);

#endif
