/*
 * support_proc: the child processes of the suites (servers, the CLI, the bench, node).
 *
 * A child starts with fork + exec in a process group of its own, stdin from /dev/null and
 * stdout and stderr inherited, appended to a log, sent to /dev/null or captured through pipes
 * into the caller's buffers. It gets a signal (SIGKILL unless told) when the thread that
 * started it dies, so a suite that crashes half-way leaves nothing running. It is waited for
 * with a deadline and stopped by a signal, then SIGKILL to its whole group after a grace
 * period. Nothing here asserts: every call returns a status, so testenv can use it outside a
 * test.
 */
#ifndef SUPPORT_PROC_H
#define SUPPORT_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* How support_spawn starts a child; all zero: stdout and stderr inherited, argv[0] a path. */
struct support_spawn {
    const char *log; /* stdout and stderr not captured are appended to this file */
    int quiet;       /* ... or else sent to /dev/null */
    char *out;       /* stdout captured here (see struct support_capture) until the child */
    size_t out_size; /* is stopped */
    char *err;       /* stderr captured here, likewise */
    size_t err_size;
    int search_path;  /* argv[0] is a name looked up on PATH */
    char *const *env; /* "NAME=value" added to the child's environment, NULL-terminated */
    int deathsig;     /* sent to the child when the starting thread dies; 0 means SIGKILL */
    int as_user;      /* drop to uid and gid before exec (when the suite runs as root) */
    uid_t uid;
    gid_t gid;
};

/* One captured output of a child: the read end of its pipe and the caller's buffer. */
struct support_capture {
    int fd;      /* -1 when not captured or at its end */
    char *buf;   /* NULL when not captured; NUL-terminated, cut at size - 1; borrowed */
    size_t size; /* of buf */
    size_t len;  /* read so far */
};

/* A started child. Zeroed (pid 0) it is a child that is not running. */
struct support_child {
    pid_t pid;  /* 0 once reaped */
    pid_t pgid; /* its process group, kept after the reaping */
    int code;   /* once reaped: the exit code, or 128 + the signal that ended it */
    struct support_capture out, err;
};

/* support_spawn starts argv (NULL-terminated) as told by how (may be NULL) into *c; returns 0,
 * or -1 after saying why on stderr. */
int support_spawn(char *const argv[], const struct support_spawn *how, struct support_child *c);

/* support_child_read waits up to timeout_ms for captured output and reads what came into the
 * buffers (what does not fit is read and dropped); returns 1 while a captured pipe is still
 * open, 0 when none is. */
int support_child_read(struct support_child *c, long timeout_ms);

/* support_child_alive tells whether the child still runs; reaps it (setting code) if it ended. */
int support_child_alive(struct support_child *c);

/* support_child_wait waits up to timeout_ms (negative: no limit) for the child to end, reading
 * its captured output to the end meanwhile; returns 0 once it is reaped, -1 if it still runs. */
int support_child_wait(struct support_child *c, long timeout_ms);

/* support_child_stop sends sig to the child, waits up to grace_ms, then kills its whole group;
 * reaps it, reads the rest of its captured output, closes the pipes and returns its code. Safe
 * on a child that already ended or never started (returns its code, or 0). */
int support_child_stop(struct support_child *c, int sig, long grace_ms);

/* support_run runs argv as told by how (may be NULL) to its end, or for at most timeout_ms
 * (negative: no limit; then it is stopped with SIGTERM, SIGKILL 5 s later, and stderr says
 * so); kills what is left of its group and returns its code, or -1 if it could not start. */
int support_run(char *const argv[], const struct support_spawn *how, long timeout_ms);

/* support_tcp_connections counts pid's ESTABLISHED TCP connections to remote port (any
 * address); -1 when /proc cannot tell. A process that subscribes over TCP has connected once
 * this is at least 1. */
int support_tcp_connections(pid_t pid, int port);

#endif
