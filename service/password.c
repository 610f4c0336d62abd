/*
 * password: Argon2id hashing and verifying behind a process-wide slot gate (see password.h).
 *
 * Module state, all file-static in password_state: the slot gate (a mutex, a condition
 * variable on CLOCK_MONOTONIC and the count of slots in use, at most PASSWORD_SLOTS), the
 * dummy hash that unknown users are verified against (made once by password_init), and the
 * test hook. The gate is taken around every crypto_pwhash call, so at most PASSWORD_SLOTS
 * Argon2 memory blocks (19 MiB each) exist at once in the process.
 */
#include "password.h"

#include "bo_error.h"

#include <sodium.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#define PASSWORD_OPSLIMIT 2ULL
#define PASSWORD_MEMLIMIT ((size_t)19 * 1024 * 1024)
/* Bytes of random text the dummy hash is made of: nobody knows it, so nothing matches it. */
#define PASSWORD_DUMMY_BYTES 32

_Static_assert(PASSWORD_HASH_MAX == crypto_pwhash_STRBYTES, "PASSWORD_HASH_MAX is libsodium's");

static struct {
    pthread_once_t once;
    int init_rc;
    pthread_mutex_t mu;
    pthread_cond_t freed;    /* signalled when a slot is given back (CLOCK_MONOTONIC) */
    int busy;                /* slots in use, 0..PASSWORD_SLOTS; under mu */
    int waiting;             /* callers waiting for a slot, 0..PASSWORD_WAITERS; under mu */
    void (*hook)(int delta); /* under mu */
    char dummy[PASSWORD_HASH_MAX];
} password_state = {.once = PTHREAD_ONCE_INIT, .mu = PTHREAD_MUTEX_INITIALIZER};

/* ---- the slot gate ------------------------------------------------------------------------ */

/* password_slot_take waits up to PASSWORD_WAIT_MS for a free slot and takes it, handing back
 * the test hook in *hook; BO_E_UNAVAILABLE if none frees in time, or at once when
 * PASSWORD_WAITERS callers wait already: a login storm may hold a few of the service's worker
 * threads, never all of them, so the sale goes on while it lasts. */
static int password_slot_take(void (**hook)(int))
{
    struct timespec deadline;
    int rc = BO_OK;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += PASSWORD_WAIT_MS / 1000;
    deadline.tv_nsec += (long)(PASSWORD_WAIT_MS % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&password_state.mu);
    if (password_state.busy >= PASSWORD_SLOTS && password_state.waiting >= PASSWORD_WAITERS) {
        pthread_mutex_unlock(&password_state.mu);
        return BO_E_UNAVAILABLE;
    }
    password_state.waiting++;
    while (password_state.busy >= PASSWORD_SLOTS) {
        if (pthread_cond_timedwait(&password_state.freed, &password_state.mu, &deadline) ==
                ETIMEDOUT &&
            password_state.busy >= PASSWORD_SLOTS) {
            rc = BO_E_UNAVAILABLE;
            break;
        }
    }
    password_state.waiting--;
    if (rc == BO_OK) {
        password_state.busy++;
        *hook = password_state.hook;
    }
    pthread_mutex_unlock(&password_state.mu);
    return rc;
}

int password_waiting(void)
{
    int n;

    pthread_mutex_lock(&password_state.mu);
    n = password_state.waiting;
    pthread_mutex_unlock(&password_state.mu);
    return n;
}

/* password_slot_give gives a slot back and wakes one waiter. */
static void password_slot_give(void)
{
    pthread_mutex_lock(&password_state.mu);
    password_state.busy--;
    pthread_cond_signal(&password_state.freed);
    pthread_mutex_unlock(&password_state.mu);
}

void password_test_hook(void (*fn)(int delta))
{
    pthread_mutex_lock(&password_state.mu);
    password_state.hook = fn;
    pthread_mutex_unlock(&password_state.mu);
}

/* ---- hashing ------------------------------------------------------------------------------ */

/* password_argon2 runs one Argon2id call in a slot: into out when hashing (hash NULL), else
 * verifying pw against hash. Returns BO_OK, BO_E_LOGIN_FAILED (no match), BO_E_NOMEM (hashing
 * failed) or BO_E_UNAVAILABLE. */
static int password_argon2(const char *pw, size_t len, const char *hash,
                           char out[PASSWORD_HASH_MAX])
{
    void (*hook)(int) = NULL;
    int rc = password_slot_take(&hook);

    if (rc != BO_OK) {
        return rc;
    }
    if (hook != NULL) {
        hook(+1);
    }
    if (hash == NULL) {
        rc = crypto_pwhash_str_alg(out, pw, len, PASSWORD_OPSLIMIT, PASSWORD_MEMLIMIT,
                                   crypto_pwhash_ALG_ARGON2ID13) == 0
                 ? BO_OK
                 : BO_E_NOMEM;
    } else {
        rc = crypto_pwhash_str_verify(hash, pw, len) == 0 ? BO_OK : BO_E_LOGIN_FAILED;
    }
    if (hook != NULL) {
        hook(-1);
    }
    password_slot_give();
    return rc;
}

/* password_init_once starts libsodium, the gate's clock and the dummy hash. */
static void password_init_once(void)
{
    pthread_condattr_t attr;
    unsigned char raw[PASSWORD_DUMMY_BYTES];
    char text[2 * PASSWORD_DUMMY_BYTES + 1];

    password_state.init_rc = BO_E_INTERNAL;
    if (sodium_init() < 0 || pthread_condattr_init(&attr) != 0) {
        return;
    }
    if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&password_state.freed, &attr) != 0) {
        pthread_condattr_destroy(&attr);
        return;
    }
    pthread_condattr_destroy(&attr);
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(text, sizeof(text), raw, sizeof(raw));
    password_state.init_rc = password_argon2(text, strlen(text), NULL, password_state.dummy);
    sodium_memzero(raw, sizeof(raw));
    sodium_memzero(text, sizeof(text));
}

int password_init(void)
{
    pthread_once(&password_state.once, password_init_once);
    return password_state.init_rc;
}

int password_hash(const char *pw, char out[PASSWORD_HASH_MAX])
{
    char buf[PASSWORD_HASH_MAX];
    size_t len;
    int rc = password_init();

    if (rc != BO_OK) {
        return rc;
    }
    if (pw == NULL || out == NULL) {
        return BO_E_INVALID_ARGUMENT;
    }
    len = strnlen(pw, PASSWORD_MAX + 1);
    if (len > PASSWORD_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    rc = password_argon2(pw, len, NULL, buf);
    if (rc == BO_OK) {
        memcpy(out, buf, sizeof(buf));
    }
    return rc;
}

int password_verify(const char *hash, const char *pw)
{
    /* libsodium reads the hash as a PASSWORD_HASH_MAX buffer: give it one. */
    char buf[PASSWORD_HASH_MAX] = {0};
    size_t len = pw == NULL ? 0 : strnlen(pw, PASSWORD_MAX + 1);
    int pw_ok = pw != NULL && len <= PASSWORD_MAX;
    int hash_ok = hash != NULL && strnlen(hash, sizeof(buf)) < sizeof(buf);
    int rc = password_init();

    if (rc != BO_OK) {
        return rc;
    }
    /* An unknown user or an unusable password: the same work, against the dummy hash. */
    strcpy(buf, pw_ok && hash_ok ? hash : password_state.dummy);
    rc = password_argon2(pw_ok ? pw : "", pw_ok ? len : 0, buf, NULL);
    if (rc == BO_OK && !(pw_ok && hash_ok)) {
        rc = BO_E_LOGIN_FAILED; /* nobody knows the dummy's password: never reached */
    }
    return rc;
}
