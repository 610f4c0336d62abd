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

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms:
 * exact for every date, no table, no lock; gmtime_r and timegm take glibc's time zone lock,
 * which every bridge thread formatting times would contend for). */
static int64_t bo_time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void bo_time_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* bo_time_put writes v as exactly n decimal digits at p. */
static void bo_time_put(char *p, unsigned v, int n)
{
    while (n-- > 0) {
        p[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

void bo_time_format_ms(int64_t ms, char *buf, size_t len)
{
    int64_t days = ms / 86400000, rest = ms % 86400000, y;
    unsigned m, d, in_day;

    if (rest < 0) {
        rest += 86400000;
        days -= 1;
    }
    bo_time_civil_from_days(days, &y, &m, &d);
    in_day = (unsigned)rest;
    if (y < 0 || y > 9999 || len < BO_TIME_TEXT_MAX) {
        /* Outside "YYYY" or a short buffer: the same text, cut as snprintf cuts it. */
        snprintf(buf, len, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", (long long)y, m, d,
                 in_day / 3600000, in_day / 60000 % 60, in_day / 1000 % 60, in_day % 1000);
        return;
    }
    bo_time_put(buf, (unsigned)y, 4);
    buf[4] = '-';
    bo_time_put(buf + 5, m, 2);
    buf[7] = '-';
    bo_time_put(buf + 8, d, 2);
    buf[10] = 'T';
    bo_time_put(buf + 11, in_day / 3600000, 2);
    buf[13] = ':';
    bo_time_put(buf + 14, in_day / 60000 % 60, 2);
    buf[16] = ':';
    bo_time_put(buf + 17, in_day / 1000 % 60, 2);
    buf[19] = '.';
    bo_time_put(buf + 20, in_day % 1000, 3);
    buf[23] = 'Z';
    buf[24] = '\0';
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
    static const unsigned char month_days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

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
        if (bo_time_digits(&p, 2, &oh) || bo_time_expect(&p, ':') || bo_time_digits(&p, 2, &om) ||
            oh > 23 || om > 59) {
            return BO_E_INVALID_ARGUMENT;
        }
        off = sign * (oh * 60 + om);
    } else {
        return BO_E_INVALID_ARGUMENT;
    }
    /* Second 60 is RFC 3339's leap second (it reads as the next minute's first second). */
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1] || h > 23 || mi > 59 ||
        s > 60) {
        return BO_E_INVALID_ARGUMENT;
    }
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) {
        return BO_E_INVALID_ARGUMENT;
    }
    *ms =
        ((bo_time_days_from_civil(y, (unsigned)mo, (unsigned)d) * 24 + h) * 60 + mi - off) * 60000 +
        (int64_t)s * 1000 + frac;
    return BO_OK;
}
