/* testenv_identity: proofs of identity for the suites: operator identity tokens minted with the
 * test instances' key, and rate limits turned off. */
#include "testenv.h"

#include <hiredis/read.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int testenv_jwt(const struct testenv *env, uint64_t user_id, int64_t exp_unix, char *out,
                size_t outlen)
{
    jwt_t *jwt = NULL;
    char sub[24];
    char *text = NULL;
    int rc = -1;

    if (exp_unix == 0) {
        exp_unix = (int64_t)time(NULL) + 3600;
    }
    snprintf(sub, sizeof(sub), "%llu", (unsigned long long)user_id);
    if (jwt_new(&jwt) == 0 && jwt_add_grant(jwt, "sub", sub) == 0 &&
        jwt_add_grant_int(jwt, "exp", (long)exp_unix) == 0 &&
        jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)env->jwt_secret,
                    (int)strlen(env->jwt_secret)) == 0 &&
        (text = jwt_encode_str(jwt)) != NULL && strlen(text) < outlen) {
        memcpy(out, text, strlen(text) + 1);
        rc = 0;
    }
    free(text);
    jwt_free(jwt);
    return rc;
}

int testenv_limits_off(const struct testenv *env)
{
    /* The fields of service/cache_limits.c's bo:limits hash, each 0 = off (the push listener's
     * connection caps too: a suite that tests them sets them). */
    const char *const argv[] = {"HSET",
                                "bo:limits",
                                "user_logins",
                                "0",
                                "user_token_issues",
                                "0",
                                "user_holds",
                                "0",
                                "user_charges",
                                "0",
                                "address_signups",
                                "0",
                                "address_logins",
                                "0",
                                "address_token_issues",
                                "0",
                                "address_holds",
                                "0",
                                "address_charges",
                                "0",
                                "address_push_connections",
                                "0",
                                "token_push_connections",
                                "0",
                                "address_rest_connections",
                                "0",
                                NULL};
    int type = 0;

    return testenv_redis_command(env, NULL, argv, &type) == 0 && type == REDIS_REPLY_INTEGER ? 0
                                                                                             : -1;
}
