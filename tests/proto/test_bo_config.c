/* Unit suite for the secrets of bo_config and bo_redact: which keys are refused at load (too
 * short, a published default) and how, and connection strings shown with their passwords
 * masked, by bo_redact and alike by the launcher's redact_url; no servers. */
#include "bo_config.h"
#include "bo_error.h"
#include "bo_redact.h"
#include "support.h"
#include "support_proc.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_32 "0123456789abcdef0123456789abcdef"
#define KEY_31 "0123456789abcdef0123456789abcde"

struct key_cfg {
    char key[128];
    char url[256];
    char session[64];
};

static const struct bo_option key_opts[] = {
    BO_OPT_KEY("test-key", struct key_cfg, key, "a key"),
    BO_OPT_SECRET_URL("test-url", struct key_cfg, url, "redis://:defaultpw@127.0.0.1:6379/0",
                      "a Redis URL"),
    BO_OPT_SECRET("test-session", struct key_cfg, session, "", "hidden, never checked"),
};

#define KEY_NOPTS (sizeof(key_opts) / sizeof(key_opts[0]))

/* load runs bo_config_load over key_opts with the arguments (NULL-ended) after the program's
 * name, err receiving the refusal; returns its code. */
static int load(struct key_cfg *cfg, char *err, size_t errlen, int *help, ...)
{
    char *argv[8] = {"prog"};
    char *rest[8];
    int argc = 1, nrest = 0;
    va_list ap;

    va_start(ap, help);
    for (char *a; argc < 7 && (a = va_arg(ap, char *)) != NULL;) {
        argv[argc++] = a;
    }
    va_end(ap);
    memset(cfg, 0, sizeof(*cfg));
    err[0] = '\0';
    return bo_config_load(key_opts, KEY_NOPTS, cfg, argc, argv, rest, &nrest, help, err, errlen);
}

/* A key and whether bo_config_key_check takes it, with a part of the refusal. */
struct key_case {
    const char *value;
    int ok;
    const char *says;
};

static const struct key_case key_cases[] = {
    {KEY_32, 1, NULL},
    {KEY_32 KEY_32, 1, NULL},
    {KEY_31, 0, "is 31 bytes: a secret needs at least 32"},
    {"Z", 0, "is 1 bytes: a secret needs at least 32"},
    {"compose-token-secret-change-me", 0, "is a published default: generate one"},
    {"compose-admin-key-change-me", 0, "is a published default"},
    {"compose-jwt-secret-change-me", 0, "is a published default"},
};

/* check_key checks one row of key_cases: the refusal names the option and its variable and
 * never shows the value. */
static void check_key(const struct key_case *c)
{
    char err[256] = "";
    int rc = bo_config_key_check("token-secret", c->value, err, sizeof(err));

    if (c->ok) {
        ck_assert_msg(rc == BO_OK, "'%s' refused: %s", c->value, err);
        return;
    }
    ck_assert_int_eq(rc, BO_E_INVALID_ARGUMENT);
    ck_assert_msg(strstr(err, "--token-secret (BOXOFFICE_TOKEN_SECRET) ") == err, "%s", err);
    ck_assert_msg(strstr(err, c->says) != NULL, "'%s' lacks '%s'", err, c->says);
    ck_assert_msg(strstr(err, c->value) == NULL, "'%s' shows the value", err);
}

SUPPORT_TABLE_TEST(key_check_table, key_cases, check_key)

START_TEST(key_refused_at_load_from_flag_and_environment)
{
    struct key_cfg cfg;
    char err[256];
    int help = 0;

    /* Unset keeps its meaning: nothing to check. */
    ck_assert_int_eq(load(&cfg, err, sizeof(err), &help, NULL), BO_OK);
    ck_assert_str_eq(cfg.key, "");
    ck_assert_int_eq(load(&cfg, err, sizeof(err), &help, "--test-key=" KEY_32, NULL), BO_OK);
    ck_assert_str_eq(cfg.key, KEY_32);
    ck_assert_int_eq(load(&cfg, err, sizeof(err), &help, "--test-key", "short", NULL),
                     BO_E_INVALID_ARGUMENT);
    ck_assert_str_eq(err, "--test-key (BOXOFFICE_TEST_KEY) is 5 bytes: a secret needs at least "
                          "32 (openssl rand -hex 32)");
    setenv("BOXOFFICE_TEST_KEY", "compose-jwt-secret-change-me", 1);
    ck_assert_int_eq(load(&cfg, err, sizeof(err), &help, NULL), BO_E_INVALID_ARGUMENT);
    ck_assert_str_eq(err, "--test-key (BOXOFFICE_TEST_KEY) is a published default: generate one "
                          "(openssl rand -hex 32)");
    /* The command line wins over the environment, and only the value in force is checked. */
    ck_assert_int_eq(load(&cfg, err, sizeof(err), &help, "--test-key=" KEY_32, NULL), BO_OK);
    /* --help still answers. */
    ck_assert_int_eq(load(&cfg, err, sizeof(err), &help, "--help", NULL), BO_OK);
    ck_assert_int_eq(help, 1);
    unsetenv("BOXOFFICE_TEST_KEY");
    /* A hidden secret that is no key of ours (a session, a client's copy) is never checked. */
    ck_assert_int_eq(load(&cfg, err, sizeof(err), &help, "--test-session=s", NULL), BO_OK);
}
END_TEST

/* A connection string and how it is shown. */
struct redact_case {
    const char *in;
    const char *out;
};

static const struct redact_case redact_cases[] = {
    {"redis://127.0.0.1:56379", "redis://127.0.0.1:56379"},
    {"redis://:hunter2@redis:6379/3", "redis://:***@redis:6379/3"},
    {"redis://default:hunter2@redis:6379", "redis://default:***@redis:6379"},
    {"redis://hunter2@redis", "redis://:***@redis"},     /* a lone user info is a password */
    {"hunter2@redis:6379", ":***@redis:6379"},           /* redis-url without its scheme */
    {"redis://:pa/ss@w@rd@h:1/0", "redis://:***@h:1/0"}, /* the last '@' ends it */
    {"redis://u:p?w@h", "redis://:***@h"},               /* '?' before '@': masked whole */
    {"postgresql://boxoffice@127.0.0.1:55432/boxoffice", /* a lone user is a user here */
     "postgresql://boxoffice@127.0.0.1:55432/boxoffice"},
    {"postgresql://boxoffice:s3cret@postgres:5432/boxoffice",
     "postgresql://boxoffice:***@postgres:5432/boxoffice"},
    {"postgres://u@h/db?sslmode=require&password=s3cret&application_name=x",
     "postgres://u@h/db?sslmode=require&password=***&application_name=x"},
    {"postgresql://u@h/db?password=s3cret&x=a@b", "postgresql://:***@b"},
    {"host=127.0.0.1 port=5432 user=u password=s3cret dbname=d",
     "host=127.0.0.1 port=5432 user=u password=*** dbname=d"},
    {"host=h password = 'with \\' quote and space' sslpassword=k dbname=d",
     "host=h password = *** sslpassword=*** dbname=d"},
    {"host=h password=a://b", "host=h password=***"}, /* "://" after no scheme: a conninfo */
    {"", ""},
};

/* check_redact checks one row of redact_cases. */
static void check_redact(const struct redact_case *c)
{
    char out[256];

    ck_assert_int_eq(bo_redact_url(c->in, out, sizeof(out)), BO_OK);
    ck_assert_str_eq(out, c->out);
}

SUPPORT_TABLE_TEST(redact_table, redact_cases, check_redact)

/* check_launcher_redact: the launcher's redact_url (./boxoffice status) shows the row as
 * bo_redact_url does. */
static void check_launcher_redact(const struct redact_case *c)
{
    char script[1024], out[512] = "";
    char bash[] = "bash", dash_c[] = "-c", zero[] = "redact";
    char *argv[] = {bash, dash_c, script, zero, (char *)c->in, NULL};
    struct support_spawn how = {.out = out, .out_size = sizeof(out), .search_path = 1};

    snprintf(script, sizeof(script),
             "set -euo pipefail; eval \"$(sed -n '/^redact_url() {/,/^}/p' '%s/boxoffice')\"; "
             "redact_url \"$1\"",
             support_source_dir());
    ck_assert_int_eq(support_run(argv, &how, 30000), 0);
    out[strcspn(out, "\n")] = '\0';
    ck_assert_msg(strcmp(out, c->out) == 0, "launcher: '%s' -> '%s', not '%s'", c->in, out, c->out);
}

SUPPORT_TABLE_TEST(launcher_redact_table, redact_cases, check_launcher_redact)

START_TEST(redact_too_small_shows_nothing)
{
    char out[16];

    ck_assert_int_eq(bo_redact_url("redis://:hunter2@a-long-host-name:6379", out, sizeof(out)),
                     BO_E_INVALID_ARGUMENT);
    ck_assert_str_eq(out, BO_REDACT_MASK);
    ck_assert_int_eq(bo_redact_url("redis://h", out, 3), BO_E_INVALID_ARGUMENT);
    ck_assert_str_eq(out, "**");
}
END_TEST

START_TEST(usage_masks_keys_and_passwords)
{
    char buf[4096] = "";
    FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

    ck_assert_ptr_nonnull(f);
    bo_config_usage(f, key_opts, KEY_NOPTS);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "redis://:***@127.0.0.1:6379/0"));
    ck_assert_ptr_null(strstr(buf, "defaultpw"));
    ck_assert_ptr_nonnull(strstr(buf, "a key; at least 32 bytes"));
}
END_TEST

int main(void)
{
    const TTest *tests[] = {key_check_table,
                            key_refused_at_load_from_flag_and_environment,
                            redact_table,
                            launcher_redact_table,
                            redact_too_small_shows_nothing,
                            usage_masks_keys_and_passwords,
                            NULL};

    return support_tests_run("bo_config", "secrets", tests);
}
