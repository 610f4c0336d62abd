/* support_proc: start, read, wait for and stop the suites' child processes (see support_proc.h). */
#define _GNU_SOURCE /* pipe2 */
#include "support_proc.h"

#include "support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long support_run gives a child between SIGTERM and SIGKILL. */
#define SUPPORT_RUN_GRACE_MS 5000

extern char **environ;

/* ---- starting ----------------------------------------------------------------------------- */

/* support_env_with returns environ with add (NULL-terminated) appended, in a new array that the
 * caller frees (the strings stay borrowed); NULL when out of memory. */
static char **support_env_with(char *const *add)
{
    size_t n = 0, k = 0;
    char **all;

    while (environ[n] != NULL) {
        n++;
    }
    while (add[k] != NULL) {
        k++;
    }
    all = calloc(n + k + 1, sizeof(*all));
    if (all != NULL) {
        memcpy(all, environ, n * sizeof(*all));
        memcpy(all + n, add, k * sizeof(*all));
    }
    return all;
}

/* support_child_exec runs in the child after fork: only async-signal-safe calls until exec. */
static void support_child_exec(char *const argv[], const struct support_spawn *how, pid_t parent,
                               const int out[2], const int err[2], char **env)
{
    int null_in = open("/dev/null", O_RDONLY);
    int sink = -1;

    if (null_in >= 0) {
        dup2(null_in, STDIN_FILENO);
        close(null_in);
    }
    if (how->log != NULL) {
        sink = open(how->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    } else if (how->quiet) {
        sink = open("/dev/null", O_WRONLY);
    }
    if (out[1] >= 0) {
        dup2(out[1], STDOUT_FILENO);
    } else if (sink >= 0) {
        dup2(sink, STDOUT_FILENO);
    }
    if (err[1] >= 0) {
        dup2(err[1], STDERR_FILENO);
    } else if (sink >= 0) {
        dup2(sink, STDERR_FILENO);
    }
    if (sink > STDERR_FILENO) {
        close(sink);
    }
    setpgid(0, 0);
    if (how->as_user) {
        if (setgroups(0, NULL) != 0 || setgid(how->gid) != 0 || setuid(how->uid) != 0) {
            _exit(126);
        }
    }
    /* After the credential change, which clears the death signal. */
    prctl(PR_SET_PDEATHSIG, how->deathsig != 0 ? how->deathsig : SIGKILL);
    if (getppid() != parent) {
        _exit(125);
    }
    if (env != NULL) {
        environ = env;
    }
    if (how->search_path) {
        execvp(argv[0], argv);
    } else {
        execv(argv[0], argv);
    }
    _exit(127);
}

/* support_capture_init keeps the read end of pipe p (when there is one) with buf in cap. */
static void support_capture_init(struct support_capture *cap, const int p[2], char *buf,
                                 size_t size)
{
    if (p[1] < 0) {
        return;
    }
    close(p[1]);
    cap->fd = p[0];
    cap->buf = buf;
    cap->size = size;
    buf[0] = '\0';
}

int support_spawn(char *const argv[], const struct support_spawn *how, struct support_child *c)
{
    static const struct support_spawn defaults;
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    char **env = NULL;
    pid_t parent = getpid();

    if (how == NULL) {
        how = &defaults;
    }
    memset(c, 0, sizeof(*c));
    c->out.fd = c->err.fd = -1;
    if ((how->out != NULL && pipe2(out, O_CLOEXEC) != 0) ||
        (how->err != NULL && pipe2(err, O_CLOEXEC) != 0) ||
        (how->env != NULL && (env = support_env_with(how->env)) == NULL)) {
        fprintf(stderr, "support_spawn %s: %s\n", argv[0], strerror(errno));
        goto fail;
    }
    /* The child must not inherit (and print again) what stdio still buffers. */
    fflush(NULL);
    c->pid = fork();
    if (c->pid < 0) {
        fprintf(stderr, "support_spawn %s: fork: %s\n", argv[0], strerror(errno));
        c->pid = 0;
        goto fail;
    }
    if (c->pid == 0) {
        support_child_exec(argv, how, parent, out, err, env);
    }
    /* Also here, so that a signal to the group reaches it even before it ran setpgid. */
    setpgid(c->pid, c->pid);
    c->pgid = c->pid;
    free(env);
    support_capture_init(&c->out, out, how->out, how->out_size);
    support_capture_init(&c->err, err, how->err, how->err_size);
    return 0;
fail:
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0) {
            close(out[i]);
        }
        if (err[i] >= 0) {
            close(err[i]);
        }
    }
    free(env);
    return -1;
}

/* ---- reading ------------------------------------------------------------------------------ */

/* support_capture_open tells whether cap is a capture whose pipe is still open (a zeroed one is
 * not). */
static int support_capture_open(const struct support_capture *cap)
{
    return cap->buf != NULL && cap->fd >= 0;
}

/* support_capture_read reads once from cap's pipe into its buffer (dropping what does not fit);
 * closes the pipe at its end. */
static void support_capture_read(struct support_capture *cap)
{
    char scratch[4096];
    ssize_t n = read(cap->fd, scratch, sizeof(scratch));

    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (n <= 0) {
        close(cap->fd);
        cap->fd = -1;
        return;
    }
    size_t room = cap->size - 1 - cap->len;
    size_t take = (size_t)n < room ? (size_t)n : room;
    memcpy(cap->buf + cap->len, scratch, take);
    cap->len += take;
    cap->buf[cap->len] = '\0';
}

/* support_child_piped tells whether a captured pipe of c is still open. */
static int support_child_piped(const struct support_child *c)
{
    return support_capture_open(&c->out) || support_capture_open(&c->err);
}

int support_child_read(struct support_child *c, long timeout_ms)
{
    struct support_capture *caps[2] = {&c->out, &c->err};
    struct pollfd fds[2];

    if (!support_child_piped(c)) {
        return 0;
    }
    for (int i = 0; i < 2; i++) {
        fds[i] = (struct pollfd){support_capture_open(caps[i]) ? caps[i]->fd : -1, POLLIN, 0};
    }
    if (poll(fds, 2, timeout_ms < 0 ? -1 : (int)(timeout_ms < INT_MAX ? timeout_ms : INT_MAX)) >
        0) {
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd >= 0 && fds[i].revents != 0) {
                support_capture_read(caps[i]);
            }
        }
    }
    return support_child_piped(c);
}

/* ---- waiting and stopping ----------------------------------------------------------------- */

static void support_child_reaped(struct support_child *c, int status)
{
    c->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    c->pid = 0;
}

int support_child_alive(struct support_child *c)
{
    int status;
    pid_t r;

    if (c->pid <= 0) {
        return 0;
    }
    r = waitpid(c->pid, &status, WNOHANG);
    if (r == c->pid) {
        support_child_reaped(c, status);
        return 0;
    }
    if (r < 0 && errno == ECHILD) {
        c->code = -1;
        c->pid = 0;
        return 0;
    }
    return 1;
}

/* support_child_ended is support_child_alive as a condition for support_wait_until. */
static int support_child_ended(void *arg)
{
    return !support_child_alive(arg);
}

int support_child_wait(struct support_child *c, long timeout_ms)
{
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : support_now_ms() + timeout_ms;
    int status;

    /* Captured output first: a child blocked on a full pipe would never end. */
    while (support_child_piped(c)) {
        int64_t left = deadline - support_now_ms();
        if (left <= 0) {
            return support_child_alive(c) ? -1 : 0;
        }
        support_child_read(c, timeout_ms < 0 ? -1 : (long)left);
    }
    if (timeout_ms >= 0) {
        int64_t left = deadline - support_now_ms();
        return support_wait_until(support_child_ended, c, left > 0 ? (long)left : 0);
    }
    while (c->pid > 0) {
        pid_t r = waitpid(c->pid, &status, 0);
        if (r == c->pid) {
            support_child_reaped(c, status);
        } else if (r < 0 && errno != EINTR) {
            c->code = -1;
            c->pid = 0;
        }
    }
    return 0;
}

int support_child_stop(struct support_child *c, int sig, long grace_ms)
{
    if (c->pid > 0) {
        kill(c->pid, sig);
        if (support_wait_until(support_child_ended, c, grace_ms) != 0) {
            kill(-c->pgid, SIGKILL);
            kill(c->pid, SIGKILL);
            support_child_wait(c, -1);
        }
    }
    /* The pipes' writers are gone with the group: read to their end. */
    while (support_child_read(c, 1000)) {
    }
    return c->code;
}

int support_run(char *const argv[], const struct support_spawn *how, long timeout_ms)
{
    struct support_child c;

    if (support_spawn(argv, how, &c) != 0) {
        return -1;
    }
    if (support_child_wait(&c, timeout_ms) != 0) {
        fprintf(stderr, "support_run: %s still running after %ld ms: stopping it\n", argv[0],
                timeout_ms);
        support_child_stop(&c, SIGTERM, SUPPORT_RUN_GRACE_MS);
    }
    support_child_stop(&c, SIGKILL, 0);
    kill(-c.pgid, SIGKILL); /* anything left in its group (none when it ended cleanly) */
    return c.code;
}

/* ---- connections -------------------------------------------------------------------------- */

/* support_socket_inodes writes the inodes of pid's sockets into inodes (at most max); returns
 * how many, or -1. */
static int support_socket_inodes(pid_t pid, unsigned long *inodes, int max)
{
    char dir[64], path[320], link[64];
    struct dirent *e;
    int n = 0;
    DIR *d;

    snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
    if ((d = opendir(dir)) == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL && n < max) {
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        ssize_t len = readlink(path, link, sizeof(link) - 1);
        if (len <= 0) {
            continue;
        }
        link[len] = '\0';
        if (sscanf(link, "socket:[%lu]", &inodes[n]) == 1) {
            n++;
        }
    }
    closedir(d);
    return n;
}

int support_tcp_connections(pid_t pid, int port)
{
    static const char *const tables[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    enum { MAX_SOCKETS = 4096, TCP_ESTABLISHED = 1 };
    unsigned long *inodes = malloc(MAX_SOCKETS * sizeof(*inodes));
    int n = inodes != NULL ? support_socket_inodes(pid, inodes, MAX_SOCKETS) : -1;
    int count = 0;

    for (size_t t = 0; n >= 0 && t < sizeof(tables) / sizeof(tables[0]); t++) {
        char line[512], remote[128];
        unsigned int state;
        unsigned long inode;
        FILE *f = fopen(tables[t], "r");
        if (f == NULL) {
            continue;
        }
        while (fgets(line, sizeof(line), f) != NULL) {
            /* sl local remote st tx:rx tr:when retrnsmt uid timeout inode ... */
            if (sscanf(line, "%*s %*s %127s %x %*s %*s %*s %*s %*s %lu", remote, &state, &inode) !=
                    3 ||
                state != TCP_ESTABLISHED) {
                continue;
            }
            const char *colon = strrchr(remote, ':');
            if (colon == NULL || strtol(colon + 1, NULL, 16) != port) {
                continue;
            }
            for (int i = 0; i < n; i++) {
                count += inodes[i] == inode;
            }
        }
        fclose(f);
    }
    free(inodes);
    return n < 0 ? -1 : count;
}
