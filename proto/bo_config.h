/*
 * bo_config: configuration from one static table per program.
 *
 * Each option has a name ("rpc-url"), read from the default, then the
 * environment (BOXOFFICE_RPC_URL), then the command line (--rpc-url=V or
 * --rpc-url V), into a field of the program's own config struct. The same
 * table drives --help and the start-up dump, where secrets are masked, and
 * the one check of every key the process signs or compares with (at least
 * BO_CONFIG_KEY_MIN bytes, no published default), shared by every program.
 */
#ifndef BO_CONFIG_H
#define BO_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum bo_option_type {
    BO_OPT_STRING, /* field is char[size] */
    BO_OPT_INT,    /* field is int64_t, checked against min..max */
};

/* How an option's value is a secret: how it is shown, and whether it is checked. */
enum bo_option_secret {
    BO_SECRET_NONE,   /* shown as it is */
    BO_SECRET_HIDDEN, /* shown as set or unset only (a session, a client's copy of a key) */
    BO_SECRET_KEY,    /* hidden, and when set checked by bo_config_key_check at load */
    BO_SECRET_URL,    /* a connection string: shown with its passwords masked (bo_redact) */
};

/* A key shorter than this many bytes is refused. */
#define BO_CONFIG_KEY_MIN 32

struct bo_option {
    const char *name;
    int type;
    const char *def;
    size_t offset;
    size_t size;
    int64_t min;
    int64_t max;
    int secret; /* enum bo_option_secret */
    const char *help;
};

#define BO_OPT_STRING_AS(name, st, field, def, secret, help)                                       \
    {                                                                                              \
        name, BO_OPT_STRING, def, offsetof(st, field), sizeof(((st *)0)->field), 0, 0, secret,     \
            help                                                                                   \
    }
#define BO_OPT_STR(name, st, field, def, help)                                                     \
    BO_OPT_STRING_AS(name, st, field, def, BO_SECRET_NONE, help)
#define BO_OPT_SECRET(name, st, field, def, help)                                                  \
    BO_OPT_STRING_AS(name, st, field, def, BO_SECRET_HIDDEN, help)
/* A key the process itself signs or checks with: refused at load when short or published. */
#define BO_OPT_KEY(name, st, field, help) BO_OPT_STRING_AS(name, st, field, "", BO_SECRET_KEY, help)
/* A database or Redis URL: logged and listed with its password masked. */
#define BO_OPT_SECRET_URL(name, st, field, def, help)                                              \
    BO_OPT_STRING_AS(name, st, field, def, BO_SECRET_URL, help)
#define BO_OPT_NUM(name, st, field, def, lo, hi, help)                                             \
    {                                                                                              \
        name, BO_OPT_INT, def, offsetof(st, field), sizeof(int64_t), lo, hi, 0, help               \
    }

/*
 * bo_config_load fills target from defaults, environment and argv[1..argc).
 * Arguments that are not options are returned in order through rest (an array
 * of at least argc pointers into argv) and nrest. Sets *help when --help or -h
 * was given. On a bad value, or (unless *help) a BO_SECRET_KEY option set to a
 * value bo_config_key_check refuses, returns BO_E_INVALID_ARGUMENT with a
 * sentence in err naming the option and its variable.
 */
__attribute__((warn_unused_result)) int bo_config_load(const struct bo_option *opts, size_t nopts,
                                                       void *target, int argc, char **argv,
                                                       char **rest, int *nrest, int *help,
                                                       char *err, size_t errlen);

/*
 * bo_config_key_check tells whether value is fit to be the key of option name ("token-secret"):
 * BO_OK when it is at least BO_CONFIG_KEY_MIN bytes and no default this project ever published
 * (compose's "compose-token-secret-change-me", ...); else BO_E_INVALID_ARGUMENT with one
 * sentence in err naming the option and its variable, never the value.
 */
__attribute__((warn_unused_result)) int bo_config_key_check(const char *name, const char *value,
                                                            char *err, size_t errlen);

/* bo_config_usage prints every option with its variable, default and help. */
void bo_config_usage(FILE *out, const struct bo_option *opts, size_t nopts);

/* bo_config_log logs the effective configuration at info level, keys and other secrets
 * hidden, connection strings with their passwords masked. */
void bo_config_log(const struct bo_option *opts, size_t nopts, const void *target);

#endif
