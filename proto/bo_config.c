/* bo_config: table-driven configuration (see bo_config.h). */
#include "bo_config.h"

#include "bo_error.h"
#include "bo_log.h"
#include "bo_redact.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define BO_CONFIG_STR_(x) #x
#define BO_CONFIG_STR(x)  BO_CONFIG_STR_(x)

/* Every default secret this project has published (compose.yaml before issue 10); each is
 * refused as a key whatever its length. */
static const char *const bo_config_published_keys[] = {
    "compose-token-secret-change-me",
    "compose-admin-key-change-me",
    "compose-jwt-secret-change-me",
};

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

int bo_config_key_check(const char *name, const char *value, char *err, size_t errlen)
{
    char env[96];
    size_t len = strlen(value);

    bo_config_env_name(name, env, sizeof(env));
    for (size_t i = 0; i < sizeof(bo_config_published_keys) / sizeof(bo_config_published_keys[0]);
         i++) {
        if (strcmp(value, bo_config_published_keys[i]) == 0) {
            snprintf(err, errlen,
                     "--%s (%s) is a published default: generate one (openssl rand -hex 32)", name,
                     env);
            return BO_E_INVALID_ARGUMENT;
        }
    }
    if (len < BO_CONFIG_KEY_MIN) {
        snprintf(err, errlen,
                 "--%s (%s) is %zu bytes: a secret needs at least %d (openssl rand -hex 32)", name,
                 env, len, BO_CONFIG_KEY_MIN);
        return BO_E_INVALID_ARGUMENT;
    }
    return BO_OK;
}

/* bo_config_keys_check runs bo_config_key_check on every key option of target that is set. */
static int bo_config_keys_check(const struct bo_option *opts, size_t nopts, const void *target,
                                char *err, size_t errlen)
{
    for (size_t i = 0; i < nopts; i++) {
        const char *field = (const char *)target + opts[i].offset;
        if (opts[i].secret == BO_SECRET_KEY && field[0] != '\0' &&
            bo_config_key_check(opts[i].name, field, err, errlen) != BO_OK) {
            return BO_E_INVALID_ARGUMENT;
        }
    }
    return BO_OK;
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
    return *help ? BO_OK : bo_config_keys_check(opts, nopts, target, err, errlen);
}

/* bo_config_shown writes how the value of string option o is shown into buf: as it is, masked
 * or redacted; returns buf or a fixed text. */
static const char *bo_config_shown(const struct bo_option *o, const char *value, char *buf,
                                   size_t len)
{
    switch (o->secret) {
    case BO_SECRET_NONE:
        return value;
    case BO_SECRET_URL:
        if (bo_redact_url(value, buf, len) != BO_OK) {
            return BO_REDACT_MASK; /* too long to redact: none of it shown */
        }
        return buf;
    default:
        return *value ? "(set, hidden)" : "(unset)";
    }
}

void bo_config_usage(FILE *out, const struct bo_option *opts, size_t nopts)
{
    char env[96], shown[1024];
    fprintf(out, "Options (each also read from its environment variable):\n");
    for (size_t i = 0; i < nopts; i++) {
        const struct bo_option *o = &opts[i];
        bo_config_env_name(o->name, env, sizeof(env));
        fprintf(out, "  --%-22s %-30s %s%s (default: %s)\n", o->name, env, o->help,
                o->secret == BO_SECRET_KEY ? "; at least " BO_CONFIG_STR(BO_CONFIG_KEY_MIN) " bytes"
                                           : "",
                o->secret == BO_SECRET_HIDDEN || o->secret == BO_SECRET_KEY
                    ? "generated or unset"
                    : (*o->def ? bo_config_shown(o, o->def, shown, sizeof(shown)) : "none"));
    }
}

void bo_config_log(const struct bo_option *opts, size_t nopts, const void *target)
{
    char shown[1024];
    for (size_t i = 0; i < nopts; i++) {
        const char *field = (const char *)target + opts[i].offset;
        if (opts[i].type == BO_OPT_STRING) {
            BO_INFO("config %s=%s", opts[i].name,
                    bo_config_shown(&opts[i], field, shown, sizeof(shown)));
        } else {
            int64_t v;
            memcpy(&v, field, sizeof(v));
            BO_INFO("config %s=%" PRId64, opts[i].name, v);
        }
    }
}
