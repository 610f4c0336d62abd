/* bo_config: table-driven configuration (see bo_config.h). */
#include "bo_config.h"

#include "bo_error.h"
#include "bo_log.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void bo_config_env_name(const char *name, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "BOXOFFICE_");
    for (const char *p = name; *p != '\0' && n + 1 < len; p++) {
        buf[n++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    }
    buf[n] = '\0';
}

static int bo_config_set(const struct bo_option *o, void *target, const char *value,
                         const char *source, char *err, size_t errlen)
{
    char *field = (char *)target + o->offset;

    if (o->type == BO_OPT_STRING) {
        size_t len = strlen(value);
        if (len >= o->size) {
            snprintf(err, errlen, "%s (from %s) is longer than %zu characters", o->name, source,
                     o->size - 1);
            return BO_E_INVALID_ARGUMENT;
        }
        memcpy(field, value, len + 1);
        return BO_OK;
    }
    char *end = NULL;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || v < o->min || v > o->max) {
        snprintf(err, errlen,
                 "%s (from %s) must be a whole number from %" PRId64 " to %" PRId64 ", not '%s'",
                 o->name, source, o->min, o->max, value);
        return BO_E_INVALID_ARGUMENT;
    }
    int64_t iv = (int64_t)v;
    memcpy(field, &iv, sizeof(iv));
    return BO_OK;
}

static const struct bo_option *bo_config_find(const struct bo_option *opts, size_t nopts,
                                              const char *name, size_t len)
{
    for (size_t i = 0; i < nopts; i++) {
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0) {
            return &opts[i];
        }
    }
    return NULL;
}

int bo_config_load(const struct bo_option *opts, size_t nopts, void *target, int argc, char **argv,
                   char **rest, int *nrest, int *help, char *err, size_t errlen)
{
    char env[96];
    int rc;

    *help = 0;
    *nrest = 0;
    for (size_t i = 0; i < nopts; i++) {
        if ((rc = bo_config_set(&opts[i], target, opts[i].def, "default", err, errlen)) != 0) {
            return rc;
        }
        bo_config_env_name(opts[i].name, env, sizeof(env));
        const char *v = getenv(env);
        if (v != NULL && (rc = bo_config_set(&opts[i], target, v, env, err, errlen)) != 0) {
            return rc;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *help = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            rest[(*nrest)++] = argv[i];
            continue;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
        const struct bo_option *o = bo_config_find(opts, nopts, name, len);
        if (o == NULL) {
            snprintf(err, errlen, "unknown option '%s' (see --help)", a);
            return BO_E_INVALID_ARGUMENT;
        }
        const char *value = eq != NULL ? eq + 1 : NULL;
        if (value == NULL) {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "option --%s needs a value", o->name);
                return BO_E_INVALID_ARGUMENT;
            }
            value = argv[++i];
        }
        if ((rc = bo_config_set(o, target, value, "command line", err, errlen)) != 0) {
            return rc;
        }
    }
    return BO_OK;
}

void bo_config_usage(FILE *out, const struct bo_option *opts, size_t nopts)
{
    char env[96];
    fprintf(out, "Options (each also read from its environment variable):\n");
    for (size_t i = 0; i < nopts; i++) {
        bo_config_env_name(opts[i].name, env, sizeof(env));
        fprintf(out, "  --%-22s %-30s %s (default: %s)\n", opts[i].name, env, opts[i].help,
                opts[i].secret ? "generated or unset" : (*opts[i].def ? opts[i].def : "none"));
    }
}

void bo_config_log(const struct bo_option *opts, size_t nopts, const void *target)
{
    for (size_t i = 0; i < nopts; i++) {
        const char *field = (const char *)target + opts[i].offset;
        if (opts[i].type == BO_OPT_STRING) {
            BO_INFO("config %s=%s", opts[i].name,
                    opts[i].secret ? (*field ? "(set, hidden)" : "(unset)") : field);
        } else {
            int64_t v;
            memcpy(&v, field, sizeof(v));
            BO_INFO("config %s=%" PRId64, opts[i].name, v);
        }
    }
}
