/*
 * br_edge_limits: the edge's limits file and its reload (see br_edge_limits.h).
 *
 * The file's text is bridge/edge/cap's, byte for byte: the cap as `limit_conn
 * rest_per_address N;` (none when 0) and as `geo $edge_rest_cap { default N; }`, which is
 * also what the keeper reads back to learn what the file says. Invariant: the metrics gauge
 * holds the cap the file was last seen or made to hold.
 */
#include "br_edge_limits.h"

#include "bo_error.h"
#include "bo_log.h"
#include "br_metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define BR_EDGE_LIMITS_PATH_MAX 512
/* What the file says the cap is (bridge/edge/cap writes it last). */
#define BR_EDGE_LIMITS_MARK "geo $edge_rest_cap { default "

struct br_edge_limits {
    char file[BR_EDGE_LIMITS_PATH_MAX];
    char pid_file[BR_EDGE_LIMITS_PATH_MAX]; /* "" none: the edge reloads the file itself */
    int failing; /* the last write failed (warned once per failing spell) */
};

int br_edge_limits_create(const char *file, const char *pid_file, struct br_edge_limits **out)
{
    struct br_edge_limits *e;

    if (pid_file == NULL) {
        pid_file = "";
    }
    if (strlen(file) >= BR_EDGE_LIMITS_PATH_MAX - 32 ||
        strlen(pid_file) >= BR_EDGE_LIMITS_PATH_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    if ((e = calloc(1, sizeof(*e))) == NULL) {
        return BO_E_NOMEM;
    }
    snprintf(e->file, sizeof(e->file), "%s", file);
    snprintf(e->pid_file, sizeof(e->pid_file), "%s", pid_file);
    *out = e;
    return BO_OK;
}

void br_edge_limits_destroy(struct br_edge_limits *e)
{
    free(e);
}

/* br_edge_limits_read reads at most len - 1 bytes of path into buf (NUL-terminated); returns the
 * length, or -1 with errno set. */
static long br_edge_limits_read(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0) {
        return -1;
    }
    do {
        n = read(fd, buf, len - 1);
    } while (n < 0 && errno == EINTR);
    int saved = errno;
    close(fd);
    if (n < 0) {
        errno = saved;
        return -1;
    }
    buf[n] = '\0';
    return (long)n;
}

/* br_edge_limits_file_cap reads the cap the limits file says into *cap; returns 0, or -1 when the
 * file is missing, unreadable or not the keeper's text. */
static int br_edge_limits_file_cap(const struct br_edge_limits *e, uint32_t *cap)
{
    char text[1024];
    const char *at;
    char *end;

    if (br_edge_limits_read(e->file, text, sizeof(text)) < 0 ||
        (at = strstr(text, BR_EDGE_LIMITS_MARK)) == NULL) {
        return -1;
    }
    at += strlen(BR_EDGE_LIMITS_MARK);
    errno = 0;
    unsigned long long v = strtoull(at, &end, 10);
    if (errno != 0 || end == at || *at == '-' || v > UINT32_MAX || strncmp(end, "; }", 3) != 0) {
        return -1;
    }
    *cap = (uint32_t)v;
    return 0;
}

/* br_edge_limits_file_write writes the limits file for cap atomically (a temporary file beside it,
 * renamed over it); returns 0, or -1 with errno set. */
static int br_edge_limits_file_write(const struct br_edge_limits *e, uint32_t cap)
{
    char tmp[BR_EDGE_LIMITS_PATH_MAX + 32], text[512], limit[64] = "";
    int fd, saved;
    size_t done = 0;

    if (cap > 0) {
        snprintf(limit, sizeof(limit), "limit_conn rest_per_address %u;\n", cap);
    }
    int n = snprintf(text, sizeof(text),
                     "# addressRestConnections in force (0: off), for the edge; written by "
                     "bridge/edge/cap\n"
                     "# or a bridge run with --edge-limits. Do not edit: the bridge rewrites it.\n"
                     "%s" BR_EDGE_LIMITS_MARK "%u; }\n",
                     limit, cap);
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", e->file, (long)getpid());
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
        return -1;
    }
    while (done < (size_t)n) {
        ssize_t w = write(fd, text + done, (size_t)n - done);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            goto fail;
        }
        done += (size_t)w;
    }
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, e->file) != 0) {
        goto fail;
    }
    return 0;
fail:
    saved = errno;
    if (fd >= 0) {
        close(fd);
    }
    unlink(tmp);
    errno = saved;
    return -1;
}

/* br_edge_limits_signal sends SIGHUP to the nginx master named by the pid file; returns 0, or -1
 * with why (a sentence) in why, and *missing set when there is no pid file (the edge is not
 * running). A pid whose process is not nginx (a stale file) is never signalled. */
static int br_edge_limits_signal(const struct br_edge_limits *e, pid_t *pid, int *missing,
                                 char *why, size_t len)
{
    char text[64], path[64], comm[64];
    char *end;

    *missing = 0;
    if (br_edge_limits_read(e->pid_file, text, sizeof(text)) < 0) {
        *missing = errno == ENOENT;
        snprintf(why, len, "cannot read %s: %s", e->pid_file, strerror(errno));
        return -1;
    }
    long v = strtol(text, &end, 10);
    if (end == text || v <= 1 || (*end != '\n' && *end != '\0')) {
        snprintf(why, len, "%s holds no process id", e->pid_file);
        return -1;
    }
    *pid = (pid_t)v;
    snprintf(path, sizeof(path), "/proc/%ld/comm", v);
    if (br_edge_limits_read(path, comm, sizeof(comm)) < 0 || strncmp(comm, "nginx", 5) != 0) {
        snprintf(why, len, "process %ld (from %s) is not nginx", v, e->pid_file);
        return -1;
    }
    if (kill(*pid, SIGHUP) != 0) {
        snprintf(why, len, "SIGHUP to nginx (pid %ld): %s", v, strerror(errno));
        return -1;
    }
    return 0;
}

/* br_edge_limits_reload has nginx read the limits file just written for cap, logging one line. */
static void br_edge_limits_reload(const struct br_edge_limits *e, uint32_t cap)
{
    char why[BR_EDGE_LIMITS_PATH_MAX + 128];
    pid_t pid = 0;
    int missing;

    if (e->pid_file[0] == '\0') {
        BO_INFO("edge: cap %u open REST connections per address (0: off) written to %s; the "
                "edge reloads it itself",
                cap, e->file);
    } else if (br_edge_limits_signal(e, &pid, &missing, why, sizeof(why)) == 0) {
        BO_INFO("edge: cap %u open REST connections per address (0: off) written to %s; nginx "
                "(pid %ld) reloads it",
                cap, e->file, (long)pid);
    } else if (missing) {
        BO_INFO("edge: cap %u open REST connections per address (0: off) written to %s; the "
                "edge is not running (%s) and reads it when it starts",
                cap, e->file, why);
    } else {
        BO_WARN("edge: cap %u open REST connections per address (0: off) written to %s, but "
                "nginx was not told to reload it (%s): the edge keeps its old cap until it "
                "reloads",
                cap, e->file, why);
    }
}

void br_edge_limits_apply(struct br_edge_limits *e, uint32_t cap)
{
    uint32_t now;

    if (br_edge_limits_file_cap(e, &now) == 0 && now == cap) {
        e->failing = 0;
        br_metrics_edge_cap(cap);
        return;
    }
    if (br_edge_limits_file_write(e, cap) != 0) {
        if (!e->failing) {
            BO_WARN("edge: cannot write %s (cap %u open REST connections per address): %s; "
                    "trying again each second",
                    e->file, cap, strerror(errno));
        }
        e->failing = 1;
        return;
    }
    e->failing = 0;
    br_metrics_edge_cap(cap);
    br_edge_limits_reload(e, cap);
}
