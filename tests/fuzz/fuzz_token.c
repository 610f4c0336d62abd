/* fuzz_token: the queue token parser (service/token.c token_verify) on any text; a token it
 * accepts must be the one text token_sign writes for its ids. */
#include "fuzz.h"

#include "bo_error.h"
#include "token.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[TOKEN_TEXT_MAX * 2];
    char again[TOKEN_TEXT_MAX];
    uint64_t concert_id = 0, user_id = 0, sequence = 0;
    size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;

    memcpy(text, data, n);
    text[n] = '\0';
    int rc = token_verify(FUZZ_TOKEN_SECRET, text, &concert_id, &user_id, &sequence);
    if (rc != BO_OK) {
        fuzz_check(rc == BO_E_TOKEN_MISSING || rc == BO_E_TOKEN_INVALID);
        fuzz_check(rc != BO_E_TOKEN_MISSING || text[0] == '\0');
        return 0;
    }
    fuzz_check(concert_id != 0 && user_id != 0 && sequence != 0);
    /* One spelling per token: signing its ids again gives the same text. */
    fuzz_check(token_sign(FUZZ_TOKEN_SECRET, concert_id, user_id, sequence, again, sizeof(again)) ==
               BO_OK);
    fuzz_check(strcmp(again, text) == 0);
    return 0;
}
