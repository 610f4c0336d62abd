/*
 * bo_futex: the private futex hash's size (see bo_futex.h), through prctl(PR_FUTEX_HASH), which
 * Debian's headers do not name yet.
 */
#include "bo_futex.h"

#include "bo_log.h"

#include <sys/prctl.h>

#ifndef PR_FUTEX_HASH
#define PR_FUTEX_HASH           78
#define PR_FUTEX_HASH_SET_SLOTS 1
#define PR_FUTEX_HASH_GET_SLOTS 2
#endif

/* The largest hash asked for: 64 bytes a bucket, so 4 MB. */
#define BO_FUTEX_SLOTS_MAX 65536u

void bo_futex_hash_size(unsigned threads)
{
    unsigned long slots = 16;

    while (slots < 4ul * threads && slots < BO_FUTEX_SLOTS_MAX) {
        slots *= 2;
    }
    if (prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_SET_SLOTS, slots, 0ul, 0ul) != 0) {
        return; /* an older kernel: one global hash, sized by the machine */
    }
    BO_DEBUG("futex hash: %lu buckets for %u threads", slots, threads);
}
