/*
 * token: the signed queue token string (HMAC-SHA256 via libcrypto).
 *
 * Format: "v1.<concertId>.<userId>.<sequence>.<signature>", the signature
 * being the unpadded base64url HMAC-SHA256 of everything before the last dot
 * under the service's secret. Verification parses strictly and compares in
 * constant time, so a forged or altered token is refused before any lookup.
 */
#ifndef SVC_TOKEN_H
#define SVC_TOKEN_H

#include <stddef.h>
#include <stdint.h>

/* Longest token text including its terminating NUL. */
#define TOKEN_TEXT_MAX 128

/* token_sign writes the token text for (concert, user, sequence) into out (TOKEN_TEXT_MAX). */
__attribute__((warn_unused_result)) int token_sign(const char *secret, uint64_t concert_id,
                                                   uint64_t user_id, uint64_t sequence, char *out,
                                                   size_t outlen);

/* token_verify checks text: BO_E_TOKEN_MISSING when empty or NULL, BO_E_TOKEN_INVALID when
 * malformed or the signature does not match; on BO_OK writes the three ids. */
__attribute__((warn_unused_result)) int token_verify(const char *secret, const char *text,
                                                     uint64_t *concert_id, uint64_t *user_id,
                                                     uint64_t *sequence);

/* Room for a token id, "<concertId>-<sequence>" with two 20-digit numbers, and its NUL. */
#define TOKEN_ID_MAX 48

/* token_id writes "<concertId>-<sequence>", the token's public id, into out (TOKEN_ID_MAX). */
void token_id(uint64_t concert_id, uint64_t sequence, char *out, size_t outlen);

#endif
