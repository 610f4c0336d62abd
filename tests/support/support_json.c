/* support_json: checked readers of cJSON members for tests (see support_json.h). */
#include "support_json.h"

#include <check.h>
#include <string.h>

double support_json_num(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

    ck_assert_msg(cJSON_IsNumber(v), "member %s is missing or not a number", name);
    return v->valuedouble;
}

long long support_json_int(const cJSON *obj, const char *name)
{
    double v = support_json_num(obj, name);

    ck_assert_msg(v == (double)(long long)v, "member %s is not whole", name);
    return (long long)v;
}

const char *support_json_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

    ck_assert_msg(cJSON_IsString(v), "member %s is missing or not a string", name);
    return v->valuestring;
}

int support_json_is_time(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

    return cJSON_IsString(v) && strlen(v->valuestring) >= 20 && v->valuestring[10] == 'T' &&
           v->valuestring[strlen(v->valuestring) - 1] == 'Z';
}

cJSON *support_json_parse(const char *text, const char *what)
{
    cJSON *json = cJSON_Parse(text);

    ck_assert_msg(json != NULL, "%s: not JSON: %s", what, text);
    return json;
}
