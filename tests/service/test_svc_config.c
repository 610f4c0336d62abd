/* Unit suite for svc_config's secrets: every key of the service (token secret, admin key, JWT
 * secret) refused at load when short or a published default, from a flag or the environment;
 * the real boxoffice-service refusing to start the same way; and its start-up log showing the
 * database and Redis URLs with their passwords masked. No servers. */
#include "bo_error.h"
#include "support.h"
#include "support_proc.h"
#include "svc_config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_32 "0123456789abcdef0123456789abcdef"

/* load runs svc_config_load on one argument after the program's name (NULL: none). */
static int load(struct svc_config *cfg, const char *arg, char *err, size_t errlen)
{
    char prog[] = "boxoffice-service";
    char a[600];
    char *argv[] = {prog, a, NULL};
    int exit_now = 0;

    snprintf(a, sizeof(a), "%s", arg != NULL ? arg : "");
    err[0] = '\0';
    int rc = svc_config_load(cfg, arg != NULL ? 2 : 1, argv, &exit_now, err, errlen);
    ck_assert_int_eq(exit_now, 0);
    return rc;
}

/* A key of the service: its option and variable. */
struct key_case {
    const char *option;
    const char *env;
};

static const struct key_case key_cases[] = {
    {"token-secret", "BOXOFFICE_TOKEN_SECRET"},
    {"admin-key", "BOXOFFICE_ADMIN_KEY"},
    {"jwt-secret", "BOXOFFICE_JWT_SECRET"},
};

/* check_key: the key is refused short (flag and environment) and as any published default, and
 * taken at 32 bytes, each refusal naming the option and its variable. */
static void check_key(const struct key_case *c)
{
    static const char *const published[] = {"compose-token-secret-change-me",
                                            "compose-admin-key-change-me",
                                            "compose-jwt-secret-change-me"};
    struct svc_config cfg;
    char arg[128], err[256], named[96];

    snprintf(named, sizeof(named), "--%s (%s) ", c->option, c->env);
    snprintf(arg, sizeof(arg), "--%s=%s", c->option, "0123456789abcdef");
    ck_assert_int_eq(load(&cfg, arg, err, sizeof(err)), BO_E_INVALID_ARGUMENT);
    ck_assert_msg(strstr(err, named) == err, "%s", err);
    ck_assert_msg(strstr(err, "is 16 bytes: a secret needs at least 32") != NULL, "%s", err);
    for (size_t i = 0; i < sizeof(published) / sizeof(published[0]); i++) {
        snprintf(arg, sizeof(arg), "--%s=%s", c->option, published[i]);
        ck_assert_int_eq(load(&cfg, arg, err, sizeof(err)), BO_E_INVALID_ARGUMENT);
        ck_assert_msg(strstr(err, named) == err && strstr(err, "published default") != NULL, "%s",
                      err);
    }
    setenv(c->env, "short", 1);
    ck_assert_int_eq(load(&cfg, NULL, err, sizeof(err)), BO_E_INVALID_ARGUMENT);
    ck_assert_msg(strstr(err, named) == err && strstr(err, "is 5 bytes") != NULL, "%s", err);
    setenv(c->env, KEY_32, 1);
    ck_assert_msg(load(&cfg, NULL, err, sizeof(err)) == BO_OK, "%s", err);
    unsetenv(c->env);
    ck_assert_msg(load(&cfg, NULL, err, sizeof(err)) == BO_OK, "unset refused: %s", err);
}

SUPPORT_TABLE_TEST(keys_checked_table, key_cases, check_key)

/* run_service runs boxoffice-service with env (NULL-ended "NAME=value") and the arguments
 * (NULL-ended), capturing stderr into err; returns its exit code. */
static int run_service(char *const *env, char *err, size_t errlen, const char *const *args)
{
    char exe[600];
    char *argv[16];
    size_t k = 0;
    struct support_child c;
    struct support_spawn how = {.err = err, .err_size = errlen, .quiet = 1, .env = env};

    ck_assert_msg(support_build_exe("service/boxoffice-service", exe, sizeof(exe)) == 0,
                  "%s not built", exe);
    argv[k++] = exe;
    for (; args != NULL && *args != NULL && k < 15; args++) {
        argv[k++] = (char *)*args;
    }
    argv[k] = NULL;
    memset(&c, 0, sizeof(c));
    ck_assert_int_eq(support_spawn(argv, &how, &c), 0);
    ck_assert_msg(support_child_wait(&c, 60000) == 0, "boxoffice-service did not end");
    return c.code;
}

START_TEST(service_refuses_to_start_with_a_weak_key)
{
    char err[4096];
    char *short_env[] = {"BOXOFFICE_TOKEN_SECRET=too-short", NULL};
    const char *published[] = {"--admin-key=compose-admin-key-change-me", NULL};

    ck_assert_int_eq(run_service(short_env, err, sizeof(err), NULL), 2);
    ck_assert_msg(strstr(err, "boxoffice-service: --token-secret (BOXOFFICE_TOKEN_SECRET) is 9 "
                              "bytes: a secret needs at least 32") != NULL,
                  "stderr: %s", err);
    ck_assert_int_eq(run_service(NULL, err, sizeof(err), published), 2);
    ck_assert_msg(strstr(err, "--admin-key (BOXOFFICE_ADMIN_KEY) is a published default") != NULL,
                  "stderr: %s", err);
}
END_TEST

START_TEST(service_logs_urls_without_passwords)
{
    char err[16384];
    /* Migrate only, against ports nothing listens on: it logs its configuration, then fails. */
    const char *args[] = {"--migrate=2",
                          "--database-url=postgresql://boxoffice:pg-pass-w0rd@127.0.0.1:1/bo",
                          "--redis-url=redis://:redis-pass-w0rd@127.0.0.1:1/2",
                          "--token-secret=" KEY_32,
                          "--log-level=debug",
                          NULL};

    ck_assert_int_ne(run_service(NULL, err, sizeof(err), args), 0);
    ck_assert_msg(strstr(err, "config database-url=postgresql://boxoffice:***@127.0.0.1:1/bo") !=
                      NULL,
                  "stderr: %s", err);
    ck_assert_msg(strstr(err, "config redis-url=redis://:***@127.0.0.1:1/2") != NULL, "stderr: %s",
                  err);
    ck_assert_msg(strstr(err, "config token-secret=(set, hidden)") != NULL, "stderr: %s", err);
    ck_assert_ptr_null(strstr(err, "pass-w0rd"));
    ck_assert_ptr_null(strstr(err, KEY_32));
}
END_TEST

int main(void)
{
    const TTest *tests[] = {keys_checked_table, service_refuses_to_start_with_a_weak_key,
                            service_logs_urls_without_passwords, NULL};

    support_env_scrub();
    return support_tests_run("svc_config", "secrets", tests);
}
