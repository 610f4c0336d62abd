/*
 * nb_jwt: operator identity tokens minted by the bench itself.
 *
 * A virtual user proves who it is with an HS256 JWT {"sub":"<user id>","exp":<unix s>}
 * signed with the service's operator secret (--jwt-secret, BOXOFFICE_JWT_SECRET: the text of
 * var/jwt.secret without its newline), so no virtual user logs in (no Argon2 per user).
 * Minting is libjwt's; it takes a few microseconds. The same tokens, one per user, can be
 * written to a file for wrk (--mint-jwts): fixed-width lines so a script can seek to any
 * user's.
 */
#ifndef NB_JWT_H
#define NB_JWT_H

#include <stddef.h>
#include <stdint.h>

/* Longest JWT the bench mints, with its NUL (an HS256 token for any user id is ~130 bytes). */
#define NB_JWT_MAX 256

/* How long after the planned end of a run its tokens stay valid (set-up and checks run
 * outside the plan's seconds). */
#define NB_JWT_MARGIN_S 900

/*
 * nb_jwt_mint writes into out (outlen bytes, NB_JWT_MAX is enough) the HS256 JWT of user_id
 * expiring at exp_unix, signed with secret. Returns BO_OK, BO_E_INVALID_ARGUMENT (no secret,
 * user 0, out too small) or BO_E_NOMEM.
 */
__attribute__((warn_unused_result)) int nb_jwt_mint(const char *secret, uint64_t user_id,
                                                    int64_t exp_unix, char *out, size_t outlen);

/*
 * nb_jwt_write_file writes to path the JWTs of users 1..n expiring at exp_unix, one a line,
 * line u the token of user u, each padded with spaces to the same width (so line u starts at
 * byte (u - 1) * (width + 1)). Returns BO_OK, or a code after printing why to stderr.
 */
__attribute__((warn_unused_result)) int nb_jwt_write_file(const char *secret, uint64_t n,
                                                          int64_t exp_unix, const char *path);

#endif
