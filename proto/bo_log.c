/* bo_log: level-filtered single-write log lines (see bo_log.h). */
#include "bo_log.h"

#include "bo_error.h"
#include "bo_time.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Set once before threads start, read-only afterwards. */
static struct {
    char name[32];
    int level;
} bo_log_state = {"boxoffice", BO_LOG_INFO};

static const char *const bo_log_names[] = {"error", "warn", "info", "debug"};

void bo_log_setup(const char *name, int level)
{
    snprintf(bo_log_state.name, sizeof(bo_log_state.name), "%s", name);
    bo_log_state.level = level;
}

int bo_log_level_parse(const char *text, int *level)
{
    for (int i = 0; i <= BO_LOG_DEBUG; i++) {
        if (strcasecmp(text, bo_log_names[i]) == 0) {
            *level = i;
            return BO_OK;
        }
    }
    return BO_E_INVALID_ARGUMENT;
}

int bo_log_enabled(int level)
{
    return level <= bo_log_state.level;
}

void bo_log_write(int level, uint64_t request_id, const char *fmt, ...)
{
    char line[1024];
    char stamp[32];
    size_t n;
    va_list ap;

    bo_time_format_ms(bo_time_now_ms(), stamp, sizeof(stamp));
    if (request_id != 0) {
        n = (size_t)snprintf(line, sizeof(line), "%s %s[%d] %s req=%llu ", stamp, bo_log_state.name,
                             (int)getpid(),
                             bo_log_names[level < 0 || level > BO_LOG_DEBUG ? 0 : level],
                             (unsigned long long)request_id);
    } else {
        n = (size_t)snprintf(line, sizeof(line), "%s %s[%d] %s ", stamp, bo_log_state.name,
                             (int)getpid(),
                             bo_log_names[level < 0 || level > BO_LOG_DEBUG ? 0 : level]);
    }
    if (n < sizeof(line)) {
        va_start(ap, fmt);
        int m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
        va_end(ap);
        n = m < 0 ? n : n + (size_t)m;
    }
    if (n >= sizeof(line) - 1) {
        n = sizeof(line) - 2;
    }
    line[n++] = '\n';
    /* One write keeps lines of concurrent threads whole; a short write is not retried. */
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
}
