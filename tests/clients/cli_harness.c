/* cli_harness: running boxoffice-cli and checking what it printed (see cli_harness.h). */
#include "cli_harness.h"

#include "support.h"
#include "support_json.h"
#include "support_proc.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct testenv cli_env;
char cli_path[1024];

void cli_run_argv(struct run *r, char **argv)
{
    struct support_spawn how = {
        .out = r->out, .out_size = sizeof(r->out), .err = r->err, .err_size = sizeof(r->err)};

    memset(r, 0, sizeof(*r));
    argv[0] = cli_path;
    r->code = support_run(argv, &how, -1);
    ck_assert_msg(r->code >= 0, "could not start %s", cli_path);
}

char *cli_as_user(char *arg, uint64_t user)
{
    memcpy(arg, "--session=", 10);
    ck_assert_msg(testenv_jwt(&cli_env, user, 0, arg + 10, SESSION_ARG - 10) == 0,
                  "minting a JWT for user %" PRIu64 " failed", user);
    return arg;
}

void cli_run_at(struct run *r, const char *url, ...)
{
    char *argv[MAX_ARGS];
    char url_arg[sizeof(cli_env.rpc_urls) + 16];
    int n = 1;
    va_list ap;

    if (url != NULL) {
        snprintf(url_arg, sizeof(url_arg), "--rpc-url=%s", url);
        argv[n++] = url_arg;
        argv[n++] = "--timeout-ms=" TIMEOUT_MS;
    }
    va_start(ap, url);
    for (const char *a = va_arg(ap, const char *); a != NULL; a = va_arg(ap, const char *)) {
        ck_assert_int_lt(n, MAX_ARGS - 1);
        argv[n++] = (char *)a;
    }
    va_end(ap);
    argv[n] = NULL;
    cli_run_argv(r, argv);
}

void cli_run_stdin(struct run *r, const char *line, ...)
{
    char *argv[MAX_ARGS + 8];
    char url_arg[sizeof(cli_env.rpc_urls) + 16];
    struct support_spawn how = {
        .out = r->out, .out_size = sizeof(r->out), .err = r->err, .err_size = sizeof(r->err)};
    int n = 0;
    va_list ap;

    snprintf(url_arg, sizeof(url_arg), "--rpc-url=%s", cli_env.rpc_urls);
    argv[n++] = "/bin/sh";
    argv[n++] = "-c";
    argv[n++] = "line=$1; shift; printf '%s\\n' \"$line\" | \"$@\"";
    argv[n++] = "sh";
    argv[n++] = (char *)line;
    argv[n++] = cli_path;
    argv[n++] = url_arg;
    argv[n++] = "--timeout-ms=" TIMEOUT_MS;
    va_start(ap, line);
    for (const char *a = va_arg(ap, const char *); a != NULL; a = va_arg(ap, const char *)) {
        ck_assert_int_lt(n, MAX_ARGS + 7);
        argv[n++] = (char *)a;
    }
    va_end(ap);
    argv[n] = NULL;
    memset(r, 0, sizeof(*r));
    r->code = support_run(argv, &how, -1);
    ck_assert_msg(r->code >= 0, "could not start /bin/sh");
}

cJSON *cli_out_json(const char *text, const char *what)
{
    size_t len = strlen(text);

    ck_assert_msg(len > 0 && strchr(text, '\n') == text + len - 1, "%s is not one line: %s", what,
                  text);
    cJSON *j = support_json_parse(text, what);
    ck_assert_msg(cJSON_IsObject(j), "%s is not a JSON object: %s", what, text);
    return j;
}

cJSON *cli_json_ok(const struct run *r)
{
    assert_exit(r, 0);
    return cli_out_json(r->out, "stdout");
}

void cli_assert_members(const cJSON *o, const struct want *want)
{
    for (const struct want *w = want; w->key != NULL; w++) {
        if (w->str != NULL) {
            const char *got = support_json_str(o, w->key);
            ck_assert_msg(strcmp(got, w->str) == 0, "%s is \"%s\", want \"%s\"", w->key, got,
                          w->str);
        } else {
            long long got = support_json_int(o, w->key);
            ck_assert_msg(got == w->num, "%s is %lld, want %lld", w->key, got, w->num);
        }
    }
}

int cli_json_bool(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    ck_assert_msg(cJSON_IsBool(v), "member %s is missing or not true/false", key);
    return cJSON_IsTrue(v);
}

const cJSON *cli_json_item(const cJSON *o, const char *key, int type)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    ck_assert_msg(v != NULL && (v->type & 0xff) == type, "member %s is missing or of type %d", key,
                  v != NULL ? v->type & 0xff : -1);
    return v;
}

int cli_count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

void cli_token_for(uint64_t user, uint64_t concert, char *out, size_t len)
{
    struct run r;
    char c[32], me[SESSION_ARG];

    snprintf(c, sizeof(c), "%" PRIu64, concert);
    run(&r, cli_as_user(me, user), "--json", "token", "--concert", c);
    cJSON *j = cli_json_ok(&r);
    const char *token = support_json_str(j, "token");
    ck_assert_msg(strlen(token) < len, "token too long in %s", r.out);
    snprintf(out, len, "%s", token);
    cJSON_Delete(j);
}

int cli_token_active(void *token)
{
    struct run r;
    char status[32] = "";

    run(&r, "--json", "status", "--token", (const char *)token);
    cJSON *j = cli_json_ok(&r);
    snprintf(status, sizeof(status), "%s", support_json_str(j, "status"));
    cJSON_Delete(j);
    if (strcmp(status, "ACTIVE") == 0) {
        return 1;
    }
    ck_assert_str_eq(status, "WAITING");
    return 0;
}

void cli_active_token(uint64_t user, uint64_t concert, char *out, size_t len)
{
    cli_token_for(user, concert, out, len);
    SUPPORT_WAIT(cli_token_active, out, 15000, "token of user %" PRIu64 " not ACTIVE after 15 s",
                 user);
}

int64_t cli_first_schedule(const char *token, const char *concert)
{
    struct run r;
    run(&r, "--json", "schedules", "--concert", concert, "--token", token);
    cJSON *j = cli_json_ok(&r);
    cli_assert_members(j, WANT(INT("concertId", strtoll(concert, NULL, 10))));
    const cJSON *first = cJSON_GetArrayItem(cli_json_item(j, "schedules", cJSON_Array), 0);
    ck_assert_msg(cJSON_IsObject(first), "no schedule in %s", r.out);
    int64_t id = support_json_int(first, "id");
    cJSON_Delete(j);
    return id;
}

const cJSON *cli_seat_of(const cJSON *seats, int no)
{
    const cJSON *seat;

    cJSON_ArrayForEach(seat, cli_json_item(seats, "seats", cJSON_Array))
    {
        if (support_json_int(seat, "seatNo") == no) {
            return seat;
        }
    }
    ck_abort_msg("seat %d missing", no);
    return NULL;
}

void cli_seat_status(const char *sched, const char *token, int no, const char *want)
{
    struct run r;

    run(&r, "--json", "seats", "--schedule", sched, "--token", token);
    cJSON *j = cli_json_ok(&r);
    cli_assert_members(cli_seat_of(j, no), WANT(STR("status", want)));
    cJSON_Delete(j);
}

void cli_error_code(const struct run *r, const char *want)
{
    cJSON *j = cli_out_json(r->err, "stderr");
    const cJSON *e = cli_json_item(j, "error", cJSON_Object);
    const char *code = support_json_str(e, "code");

    ck_assert_msg(want == NULL || strcmp(code, want) == 0, "code %s, want %s", code, want);
    support_json_str(e, "message");
    cJSON_Delete(j);
}
