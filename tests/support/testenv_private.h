/* testenv_private: what testenv.c and testenv_service.c share, and no suite needs. */
#ifndef TESTENV_PRIVATE_H
#define TESTENV_PRIVATE_H

#include "support_proc.h"

/* How long a stopped server has before SIGKILL. */
#define TESTENV_STOP_WAIT_MS 10000

/* testenv_say prints "testenv: " and the printf-style message as one line on stderr. */
void testenv_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* testenv_stop_child stops c with sig (SIGKILL after TESTENV_STOP_WAIT_MS) and zeroes it; safe
 * on a zeroed child. */
void testenv_stop_child(struct support_child *c, int sig);

#endif
