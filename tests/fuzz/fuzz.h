/*
 * fuzz: what the fuzz targets and their seed maker share: the fixed secrets and clock the
 * parsers are driven with (so the seeds, signed with them, stay valid), and the one way a
 * target reports a broken invariant.
 *
 * A target is one LLVMFuzzerTestOneInput over one parser of the project; crashes, sanitizer
 * reports and fuzz_fail are findings. Secrets are 32 bytes or more, as the service requires.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_TOKEN_SECRET   "fuzz-token-secret-0123456789abcdef"
#define FUZZ_SESSION_SECRET "fuzz-session-secret-0123456789abcdef"
#define FUZZ_JWT_SECRET     "fuzz-operator-secret-0123456789abcdef"

/* The clock every proof is checked at: 2023-11-14T22:13:20Z. */
#define FUZZ_NOW_MS 1700000000000LL

/* The service address the REST target's bridge calls (an in-process stand-in answers). */
#define FUZZ_RPC_URL "inproc://boxoffice-fuzz-service"

/* fuzz_fail reports a broken invariant as a finding: prints why and aborts, so libFuzzer
 * keeps the input. */
#define fuzz_fail(...)                                                                             \
    do {                                                                                           \
        fprintf(stderr, "fuzz invariant broken at %s:%d: ", __FILE__, __LINE__);                   \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

/* fuzz_check fails with the condition's text unless it holds. */
#define fuzz_check(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fuzz_fail("%s", #cond);                                                                \
        }                                                                                          \
    } while (0)

/* LLVMFuzzerTestOneInput is libFuzzer's entry point: one input, never kept. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerInitialize, when a target defines it, runs once before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
