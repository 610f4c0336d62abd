/* bo_time: clocks and RFC 3339 (see bo_time.h). */
#define _GNU_SOURCE
#include "bo_time.h"

#include "bo_error.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t bo_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t bo_time_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void bo_time_format_ms(int64_t ms, char *buf, size_t len)
{
    time_t secs = (time_t)(ms / 1000);
    int frac = (int)(ms % 1000);
    struct tm tm;

    if (frac < 0) {
        frac += 1000;
        secs -= 1;
    }
    gmtime_r(&secs, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

static int bo_time_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)**p)) {
            return BO_E_INVALID_ARGUMENT;
        }
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return BO_OK;
}

static int bo_time_expect(const char **p, char c)
{
    if (**p != c && !(c == 'T' && (**p == 't' || **p == ' '))) {
        return BO_E_INVALID_ARGUMENT;
    }
    (*p)++;
    return BO_OK;
}

int bo_time_parse_rfc3339(const char *text, int64_t *ms)
{
    const char *p = text;
    int y, mo, d, h, mi, s, frac = 0, off = 0;
    struct tm tm;

    if (bo_time_digits(&p, 4, &y) || bo_time_expect(&p, '-') || bo_time_digits(&p, 2, &mo) ||
        bo_time_expect(&p, '-') || bo_time_digits(&p, 2, &d) || bo_time_expect(&p, 'T') ||
        bo_time_digits(&p, 2, &h) || bo_time_expect(&p, ':') || bo_time_digits(&p, 2, &mi) ||
        bo_time_expect(&p, ':') || bo_time_digits(&p, 2, &s)) {
        return BO_E_INVALID_ARGUMENT;
    }
    if (*p == '.') {
        int scale = 100;
        p++;
        if (!isdigit((unsigned char)*p)) {
            return BO_E_INVALID_ARGUMENT;
        }
        while (isdigit((unsigned char)*p)) {
            frac += (*p - '0') * scale;
            scale /= 10;
            p++;
        }
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (bo_time_digits(&p, 2, &oh) || bo_time_expect(&p, ':') || bo_time_digits(&p, 2, &om)) {
            return BO_E_INVALID_ARGUMENT;
        }
        off = sign * (oh * 60 + om);
    } else {
        return BO_E_INVALID_ARGUMENT;
    }
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
        return BO_E_INVALID_ARGUMENT;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    time_t t = timegm(&tm);
    *ms = ((int64_t)t - (int64_t)off * 60) * 1000 + frac;
    return BO_OK;
}
