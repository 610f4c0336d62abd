/* fuzz_identity: proofs of identity (service/identity.c identity_verify) on any text: sessions
 * ("s1.") and operator JWTs (HS256 through libjwt), with fixed keys and clock. */
#include "fuzz.h"

#include "bo_error.h"
#include "identity.h"

#include <string.h>

static struct identity_keys *fuzz_identity_keys;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct identity_config cfg = {FUZZ_SESSION_SECRET, "HS256", FUZZ_JWT_SECRET, NULL, 30};
    char err[256] = "";

    if (identity_keys_open(&cfg, &fuzz_identity_keys, err, sizeof(err)) != BO_OK) {
        fuzz_fail("cannot open the identity keys: %s", err);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *proof = malloc(size + 1);
    struct identity who;
    int rc;

    if (proof == NULL) {
        return 0;
    }
    memcpy(proof, data, size);
    proof[size] = '\0';
    memset(&who, 0xa5, sizeof(who));
    rc = identity_verify(fuzz_identity_keys, proof, FUZZ_NOW_MS, &who);
    if (rc == BO_OK) {
        fuzz_check(who.user_id >= 1 && who.user_id <= IDENTITY_USER_ID_MAX);
        fuzz_check(who.kind == IDENTITY_SESSION || who.kind == IDENTITY_OPERATOR);
        fuzz_check((who.kind == IDENTITY_SESSION) == (strncmp(proof, "s1.", 3) == 0));
        fuzz_check(memchr(who.session_id, '\0', sizeof(who.session_id)) != NULL);
        fuzz_check(who.expires_at_ms >= FUZZ_NOW_MS - 30000);
    } else {
        fuzz_check(rc == BO_E_SESSION_MISSING || rc == BO_E_SESSION_INVALID ||
                   rc == BO_E_SESSION_EXPIRED);
        fuzz_check(rc != BO_E_SESSION_MISSING || proof[0] == '\0');
    }
    free(proof);
    return 0;
}
