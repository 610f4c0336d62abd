/*
 * password: Argon2id hashing (libsodium) with at most two hashes at a time per process.
 *
 * Hashes are libsodium's encoded strings, "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>"
 * (t = 2 passes over m = 19 MiB: OWASP's floor). Each hash or verify holds one of
 * PASSWORD_SLOTS slots while it works, so a login storm holds at most 2 x 19 MiB, however many
 * workers call at once; a caller that finds no free slot within 5 s gets BO_E_UNAVAILABLE, and
 * so does one that finds PASSWORD_WAITERS callers waiting already (at once).
 * Passwords are never logged or kept.
 */
#ifndef SVC_PASSWORD_H
#define SVC_PASSWORD_H

#include <stddef.h>

#define PASSWORD_HASH_MAX 128 /* crypto_pwhash_STRBYTES */
#define PASSWORD_MIN      8
#define PASSWORD_MAX      128

/* How many hashes or verifies run at once in the process, and how long one waits for a slot. */
#define PASSWORD_SLOTS   2
#define PASSWORD_WAIT_MS 5000
/* Callers that may wait for a slot at once; beyond them a call is refused at once. */
#define PASSWORD_WAITERS 4

/* password_hash hashes pw (caller checked its length; more than PASSWORD_MAX bytes is
 * BO_E_INVALID_ARGUMENT) at t=2, m=19 MiB (OWASP's floor), Argon2id, into out; waits for a
 * slot (at most PASSWORD_SLOTS=2 hashes or verifies at once in the process), BO_E_UNAVAILABLE
 * if none frees within 5 s, BO_E_NOMEM if the 19 MiB cannot be had. */
__attribute__((warn_unused_result)) int password_hash(const char *pw, char out[PASSWORD_HASH_MAX]);

/* password_verify: BO_OK when pw matches hash; BO_E_LOGIN_FAILED otherwise. hash NULL
 * (unknown user) does the same work against a fixed dummy hash of the same parameters and
 * fails, so both take the same time; so does a pw longer than PASSWORD_MAX. Waits for a slot
 * like password_hash (BO_E_UNAVAILABLE). */
__attribute__((warn_unused_result)) int password_verify(const char *hash, const char *pw);

/* password_init: sodium_init and the dummy hash; call once at start-up (idempotent,
 * thread-safe; password_hash and password_verify call it too). BO_E_INTERNAL if libsodium
 * cannot start, and then every later call fails the same way. */
__attribute__((warn_unused_result)) int password_init(void);

/* password_waiting returns how many callers wait for a slot now (0..PASSWORD_WAITERS). */
int password_waiting(void);

/* password_test_hook sets fn, called (for tests only) with +1 by each hash or verify once it
 * holds a slot, just before its work, and with -1 just after, still holding it; NULL clears.
 * fn may block: it then holds the slot. */
void password_test_hook(void (*fn)(int delta));

#endif
