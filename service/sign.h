/*
 * sign: the pieces every signed text of the service shares: HMAC-SHA256 signatures written
 * as unpadded base64url, and the strict parsing of dotted texts and their decimal fields.
 *
 * Queue tokens (token.c) and sessions (identity.c) are both "<field>.<field>...<signature>",
 * the signature being the base64url HMAC-SHA256 of everything before the last dot. The
 * parsers here accept one spelling only, so a signed text has one text and one meaning, and
 * signatures are compared in constant time (CRYPTO_memcmp).
 */
#ifndef SVC_SIGN_H
#define SVC_SIGN_H

#include <stddef.h>
#include <stdint.h>

/* Length of the unpadded base64url text of n bytes (without NUL). */
#define SIGN_B64URL_LEN(n) (((n)*4 + 2) / 3)

/* Length of a signature's text: the base64url of a 32-byte HMAC-SHA256 (43 characters). */
#define SIGN_MAC_TEXT_LEN SIGN_B64URL_LEN(32)

/* sign_b64url_encode writes len bytes of in as unpadded base64url plus a NUL into out, which
 * has room for SIGN_B64URL_LEN(len) + 1 characters. */
void sign_b64url_encode(const unsigned char *in, size_t len, char *out);

/* sign_b64url_check returns BO_OK when s[0..len) is the one base64url spelling of nbytes
 * bytes (right length, alphabet only, unused low bits zero), else BO_E_INVALID_ARGUMENT. */
__attribute__((warn_unused_result)) int sign_b64url_check(const char *s, size_t len, size_t nbytes);

/* sign_mac writes the base64url HMAC-SHA256 of msg[0..len) under key (a NUL-terminated text,
 * non-empty) into sig (SIGN_MAC_TEXT_LEN + 1); BO_E_INTERNAL if libcrypto fails. */
__attribute__((warn_unused_result)) int sign_mac(const char *key, const char *msg, size_t len,
                                                 char sig[SIGN_MAC_TEXT_LEN + 1]);

/* sign_verify compares, in constant time, sig (SIGN_MAC_TEXT_LEN characters) with the
 * signature of msg[0..len) under key: BO_OK when equal, BO_E_INVALID_ARGUMENT when not,
 * BO_E_INTERNAL if libcrypto fails. */
__attribute__((warn_unused_result)) int sign_verify(const char *key, const char *msg, size_t len,
                                                    const char *sig);

/* sign_split cuts text[0..len) at each '.' into exactly n parts (start in part[i], length in
 * plen[i]); BO_E_INVALID_ARGUMENT when it has another number of parts. Parts may be empty. */
__attribute__((warn_unused_result)) int sign_split(const char *text, size_t len, size_t n,
                                                   const char **part, size_t *plen);

/* sign_parse_u64 reads s[0..len) as a canonical decimal (no sign, no leading zero) in 1..max
 * into out; BO_E_INVALID_ARGUMENT for any other text (out untouched). */
__attribute__((warn_unused_result)) int sign_parse_u64(const char *s, size_t len, uint64_t max,
                                                       uint64_t *out);

#endif
