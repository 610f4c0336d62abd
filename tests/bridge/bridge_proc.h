/*
 * bridge_proc: start and stop a boxoffice-bridge process from the build tree.
 */
#ifndef BRIDGE_PROC_H
#define BRIDGE_PROC_H

#include "support_proc.h"

#include <sys/types.h>

struct bridge_proc {
    pid_t pid; /* 0 when not running */
    int port;
    char log[512];
    struct support_child child;
};

/* bridge_proc_start starts the bridge on a free port, dialling rpc_urls, with
 * request_timeout_ms, its log in logdir (NULL: /tmp), and waits until GET /healthz answers 200.
 * Push and events are off unless BOXOFFICE_PUSH_LISTEN / BOXOFFICE_EVENTS_URLS say otherwise.
 * Returns 0 or -1 after printing why. */
int bridge_proc_start(struct bridge_proc *b, const char *rpc_urls, int request_timeout_ms,
                      const char *logdir);

/* bridge_proc_start_args is bridge_proc_start with extra "--flag=value" arguments (NULL
 * terminated, at most 8; may be NULL), e.g. "--trusted-proxy=127.0.0.1". */
int bridge_proc_start_args(struct bridge_proc *b, const char *rpc_urls, int request_timeout_ms,
                           const char *logdir, const char *const *extra_args);

/* bridge_proc_stop sends SIGTERM, waits for the exit (SIGKILL after 5 s); returns the exit code
 * (0 for a clean stop, 128 + signal when a signal ended it), safe when not running. */
int bridge_proc_stop(struct bridge_proc *b);

#endif
