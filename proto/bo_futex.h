/*
 * bo_futex: sizes the process's own futex hash for the threads it will run.
 *
 * Since Linux 6.16 a process gets a private futex hash sized by its CPUs, not its threads:
 * 16 buckets on a 2-core machine. A process that parks a thousand threads (civetweb's
 * workers) then walks long bucket chains on every mutex, condition variable and semaphore
 * wake (futex_wake was 9% of the bridge's samples issuing tokens). Call before the first
 * thread starts; the kernel then keeps the size.
 */
#ifndef BO_FUTEX_H
#define BO_FUTEX_H

/* bo_futex_hash_size asks for a private futex hash with room for threads waiting threads (a
 * power of two of at least 4 x threads buckets, at most 65,536). Kernels before 6.16 have one
 * global hash and refuse the request; that is no error. Logs what it set at debug level. */
void bo_futex_hash_size(unsigned threads);

#endif
