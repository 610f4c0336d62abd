/*
 * bo_log: one line per event, written with one write(2) to stderr.
 *
 * BO_LOG checks the level before formatting anything. The level and the
 * process name are set once at start-up, before any thread starts.
 */
#ifndef BO_LOG_H
#define BO_LOG_H

#include <stdint.h>

enum bo_log_level { BO_LOG_ERROR = 0, BO_LOG_WARN, BO_LOG_INFO, BO_LOG_DEBUG };

/* bo_log_setup sets the process name shown on each line and the lowest level written. */
void bo_log_setup(const char *name, int level);

/* bo_log_level_parse turns "error".."debug" into a level; returns 0 or BO_E_INVALID_ARGUMENT. */
__attribute__((warn_unused_result)) int bo_log_level_parse(const char *text, int *level);

/* bo_log_enabled tells whether lines of this level are written. */
int bo_log_enabled(int level);

/* bo_log_write formats and writes one line; request_id 0 means none. */
void bo_log_write(int level, uint64_t request_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define BO_LOG(level, reqid, ...)                                                                  \
    do {                                                                                           \
        if (bo_log_enabled(level)) {                                                               \
            bo_log_write(level, reqid, __VA_ARGS__);                                               \
        }                                                                                          \
    } while (0)

#define BO_ERR(...)   BO_LOG(BO_LOG_ERROR, 0, __VA_ARGS__)
#define BO_WARN(...)  BO_LOG(BO_LOG_WARN, 0, __VA_ARGS__)
#define BO_INFO(...)  BO_LOG(BO_LOG_INFO, 0, __VA_ARGS__)
#define BO_DEBUG(...) BO_LOG(BO_LOG_DEBUG, 0, __VA_ARGS__)

#endif
