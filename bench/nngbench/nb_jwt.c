/* nb_jwt: minting operator identity tokens with libjwt (see nb_jwt.h). */
#include "nb_jwt.h"

#include "bo_error.h"

#include <errno.h>
#include <inttypes.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nb_jwt_mint(const char *secret, uint64_t user_id, int64_t exp_unix, char *out, size_t outlen)
{
    size_t keylen = secret != NULL ? strlen(secret) : 0;
    jwt_t *jwt = NULL;
    char *text = NULL;
    char sub[24];
    int rc = BO_E_NOMEM;

    if (keylen == 0 || keylen > INT32_MAX || user_id == 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    snprintf(sub, sizeof(sub), "%" PRIu64, user_id);
    if (jwt_new(&jwt) != 0 ||
        jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret, (int)keylen) != 0 ||
        jwt_add_grant(jwt, "sub", sub) != 0 || jwt_add_grant_int(jwt, "exp", (long)exp_unix) != 0 ||
        (text = jwt_encode_str(jwt)) == NULL) {
        goto out;
    }
    if (strlen(text) >= outlen) {
        rc = BO_E_INVALID_ARGUMENT;
        goto out;
    }
    memcpy(out, text, strlen(text) + 1);
    rc = BO_OK;
out:
    free(text); /* libjwt 1.10 hands out malloc'd text */
    jwt_free(jwt);
    return rc;
}

/* nb_jwt_width returns the width of the longest token of users 1..n: the one of user n, as
 * the header and the exp are the same for all and only sub's digits grow. */
static int nb_jwt_width(const char *secret, uint64_t n, int64_t exp_unix, size_t *width)
{
    char jwt[NB_JWT_MAX];
    int rc = nb_jwt_mint(secret, n, exp_unix, jwt, sizeof(jwt));

    if (rc == BO_OK) {
        *width = strlen(jwt);
    }
    return rc;
}

int nb_jwt_write_file(const char *secret, uint64_t n, int64_t exp_unix, const char *path)
{
    char jwt[NB_JWT_MAX];
    size_t width = 0;
    FILE *f = NULL;
    int rc;

    if ((rc = nb_jwt_width(secret, n, exp_unix, &width)) != BO_OK) {
        fprintf(stderr, "nngbench: cannot mint identity tokens: %s\n", bo_error_name(rc));
        return rc;
    }
    if ((f = fopen(path, "w")) == NULL) {
        fprintf(stderr, "nngbench: cannot write %s: %s\n", path, strerror(errno));
        return BO_E_INTERNAL;
    }
    for (uint64_t u = 1; u <= n && rc == BO_OK; u++) {
        if ((rc = nb_jwt_mint(secret, u, exp_unix, jwt, sizeof(jwt))) != BO_OK) {
            fprintf(stderr, "nngbench: minting the token of user %" PRIu64 " failed: %s\n", u,
                    bo_error_name(rc));
        } else if (strlen(jwt) > width || fprintf(f, "%-*s\n", (int)width, jwt) < 0) {
            rc = BO_E_INTERNAL;
        }
    }
    if (fclose(f) != 0 && rc == BO_OK) {
        rc = BO_E_INTERNAL;
    }
    if (rc == BO_E_INTERNAL) {
        fprintf(stderr, "nngbench: writing %s failed: %s\n", path, strerror(errno));
    }
    return rc;
}
