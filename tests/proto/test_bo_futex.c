/*
 * Unit suite of bo_futex: a process that will park many threads gets a futex hash sized for
 * them, on kernels that let a process size its own (Linux 6.16 and later).
 */
#include "bo_futex.h"
#include "support.h"

#include <check.h>
#include <sys/prctl.h>

#ifndef PR_FUTEX_HASH
#define PR_FUTEX_HASH           78
#define PR_FUTEX_HASH_GET_SLOTS 2
#endif

/* Each test runs in a forked child: a process with one thread, as main is before it starts
 * others. */
START_TEST(hash_sized_for_the_threads)
{
    int before = prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_GET_SLOTS, 0ul, 0ul, 0ul);

    bo_futex_hash_size(1100);
    if (before < 0) {
        return; /* a kernel without private futex hashes: nothing to size, nothing broken */
    }
    /* the power of two at or above 4 x 1,100 */
    ck_assert_int_eq(prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_GET_SLOTS, 0ul, 0ul, 0ul), 8192);
}
END_TEST

START_TEST(hash_size_bounded)
{
    int before = prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_GET_SLOTS, 0ul, 0ul, 0ul);

    bo_futex_hash_size(1u << 30);
    if (before < 0) {
        return;
    }
    ck_assert_int_eq(prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_GET_SLOTS, 0ul, 0ul, 0ul), 65536);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {hash_sized_for_the_threads, hash_size_bounded, NULL};

    return support_tests_run("futex", "hash", tests);
}
