/*
 * bo_config: configuration from one static table per program.
 *
 * Each option has a name ("rpc-url"), read from the default, then the
 * environment (BOXOFFICE_RPC_URL), then the command line (--rpc-url=V or
 * --rpc-url V), into a field of the program's own config struct. The same
 * table drives --help and the start-up dump, where secrets are masked.
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

struct bo_option {
    const char *name;
    int type;
    const char *def;
    size_t offset;
    size_t size;
    int64_t min;
    int64_t max;
    int secret;
    const char *help;
};

#define BO_OPT_STR(name, st, field, def, help)                                                     \
    {                                                                                              \
        name, BO_OPT_STRING, def, offsetof(st, field), sizeof(((st *)0)->field), 0, 0, 0, help     \
    }
#define BO_OPT_SECRET(name, st, field, def, help)                                                  \
    {                                                                                              \
        name, BO_OPT_STRING, def, offsetof(st, field), sizeof(((st *)0)->field), 0, 0, 1, help     \
    }
#define BO_OPT_NUM(name, st, field, def, lo, hi, help)                                             \
    {                                                                                              \
        name, BO_OPT_INT, def, offsetof(st, field), sizeof(int64_t), lo, hi, 0, help               \
    }

/*
 * bo_config_load fills target from defaults, environment and argv[1..argc).
 * Arguments that are not options are returned in order through rest (an array
 * of at least argc pointers into argv) and nrest. Sets *help when --help or -h
 * was given. On a bad value returns BO_E_INVALID_ARGUMENT with a sentence in err.
 */
__attribute__((warn_unused_result)) int bo_config_load(const struct bo_option *opts, size_t nopts,
                                                       void *target, int argc, char **argv,
                                                       char **rest, int *nrest, int *help,
                                                       char *err, size_t errlen);

/* bo_config_usage prints every option with its variable, default and help. */
void bo_config_usage(FILE *out, const struct bo_option *opts, size_t nopts);

/* bo_config_log logs the effective configuration at info level, secrets masked. */
void bo_config_log(const struct bo_option *opts, size_t nopts, const void *target);

#endif
