/*
 * cli_harness: running boxoffice-cli from the build tree in the suites of tests/clients
 * (test_cli, test_cli_venues): one run as a child process with its stdout, stderr and exit
 * code, as a user (an identity token minted with the instance's key), against the suite's one
 * service instance; and the checks those suites share on what it printed (one JSON object a
 * line, members, error objects) and on the way to an ACTIVE token.
 */
#ifndef CLI_HARNESS_H
#define CLI_HARNESS_H

#include "testenv.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_ARGS    32
#define OUT_SIZE    (64 * 1024)
#define ERR_SIZE    (8 * 1024)
#define TIMEOUT_MS  "10000"
#define SESSION_ARG 1024 /* "--session=" and a JWT or a session */

/* The suite's stack and the path of the CLI under test (set by testenv_exe_main). */
extern struct testenv cli_env;
extern char cli_path[1024];

/* What one run of the CLI printed and how it ended. */
struct run {
    int code; /* exit code, or 128 + signal */
    char out[OUT_SIZE];
    char err[ERR_SIZE];
};

/* cli_run_argv runs the CLI with argv (NULL-terminated, argv[0] filled in here) into r. */
void cli_run_argv(struct run *r, char **argv);

/* cli_as_user writes into arg (SESSION_ARG bytes) "--session=" and an identity token of user, and
 * returns arg. */
char *cli_as_user(char *arg, uint64_t user);

/* cli_run_at runs the CLI with --rpc-url=url (when not NULL) and the given arguments (NULL-ended).
 */
void cli_run_at(struct run *r, const char *url, ...);

/* run runs the CLI against the suite's service. */
#define run(r, ...) cli_run_at((r), cli_env.rpc_urls, __VA_ARGS__, NULL)

/* run_local runs the CLI with no --rpc-url (for usage errors that never dial). */
#define run_local(r, ...) cli_run_at((r), NULL, __VA_ARGS__, NULL)

/* cli_run_stdin runs the CLI against the suite's service with line (and a newline) on its stdin,
 * through sh: the arguments follow (NULL-ended). */
void cli_run_stdin(struct run *r, const char *line, ...);

#define assert_exit(r, want)                                                                       \
    ck_assert_msg((r)->code == (want), "exit %d, want %d\nstdout: %s\nstderr: %s", (r)->code,      \
                  (want), (r)->out, (r)->err)

/* cli_out_json parses text (what names it), which must be exactly one line holding one JSON
 * object; the caller frees the result with cJSON_Delete. */
cJSON *cli_out_json(const char *text, const char *what);

/* cli_json_ok asserts that r succeeded and returns its stdout parsed (see cli_out_json). */
cJSON *cli_json_ok(const struct run *r);

/* One member a JSON object must have: the string str when set, else the whole number num. */
struct want {
    const char *key;
    long long num;
    const char *str;
};

/* WANT makes the list of members cli_assert_members takes, of INT and STR. */
#define WANT(...)                                                                                  \
    (const struct want[])                                                                          \
    {                                                                                              \
        __VA_ARGS__,                                                                               \
        {                                                                                          \
            NULL, 0, NULL                                                                          \
        }                                                                                          \
    }
#define INT(key, v)                                                                                \
    {                                                                                              \
        (key), (v), NULL                                                                           \
    }
#define STR(key, v)                                                                                \
    {                                                                                              \
        (key), 0, (v)                                                                              \
    }

/* cli_assert_members fails unless o has every member of want (ended by a NULL key), with both
 * values in the message. */
void cli_assert_members(const cJSON *o, const struct want *want);

/* cli_json_bool returns member key of o, which must be true or false. */
int cli_json_bool(const cJSON *o, const char *key);

/* cli_json_item returns member key of o, failing the test unless it has cJSON type type. */
const cJSON *cli_json_item(const cJSON *o, const char *key, int type);

/* cli_count counts the occurrences of needle in hay. */
int cli_count(const char *hay, const char *needle);

/* cli_token_for issues (or re-reads) the token of user for concert into out. */
void cli_token_for(uint64_t user, uint64_t concert, char *out, size_t len);

/* cli_token_active holds once token (a char *) is ACTIVE, as the CLI's status says; fails the test
 * when it is neither ACTIVE nor WAITING. */
int cli_token_active(void *token);

/* cli_active_token issues a token for user and waits (up to 15 s) until it is ACTIVE. */
void cli_active_token(uint64_t user, uint64_t concert, char *out, size_t len);

/* cli_first_schedule returns the id of concert's first schedule listed. */
int64_t cli_first_schedule(const char *token, const char *concert);

/* cli_seat_of returns the object of seat no in seats, a parsed seats answer (borrowed from it). */
const cJSON *cli_seat_of(const cJSON *seats, int no);

/* cli_seat_status asserts that seat no of schedule sched has status want, as token sees it. */
void cli_seat_status(const char *sched, const char *token, int no, const char *want);

/* cli_error_code asserts that stderr of r is the REST error object with code want (or, want NULL,
 * any code) and a message. */
void cli_error_code(const struct run *r, const char *want);

#endif
