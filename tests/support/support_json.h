/*
 * support_json: reading members of parsed JSON (cJSON) in tests. Each reader fails the test,
 * naming the member, when it is missing or of the wrong type.
 */
#ifndef SUPPORT_JSON_H
#define SUPPORT_JSON_H

#include <cjson/cJSON.h>

/* support_json_num returns the number member name of obj. */
double support_json_num(const cJSON *obj, const char *name);

/* support_json_int returns the whole-number member name of obj (a fraction fails the test). */
long long support_json_int(const cJSON *obj, const char *name);

/* support_json_str returns the string member name of obj, borrowed from obj. */
const char *support_json_str(const cJSON *obj, const char *name);

/* support_json_is_time tells whether member name of obj is an RFC 3339 UTC time string (it
 * does not fail the test). */
int support_json_is_time(const cJSON *obj, const char *name);

/* support_json_parse parses text, failing the test (with what names the text, and the text)
 * when it is not JSON; the caller frees the result with cJSON_Delete. */
cJSON *support_json_parse(const char *text, const char *what);

#endif
