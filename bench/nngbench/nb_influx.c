/* nb_influx: InfluxDB v1 line protocol over a hand-written HTTP POST (see nb_influx.h). */
#include "nb_influx.h"

#include "nb_http.h"

#include "bo_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nb_influx {
    char host[128];
    char port[16];
    char write_path[320];
    char tags[512];
    int warned;
};

/* Percent-encodes s into out (for a query string). */
static void nb_urlencode(const char *s, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s != '\0' && o + 4 < outlen; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

/* Escapes a tag value for line protocol (commas, spaces, equal signs). */
static void nb_tag_escape(const char *s, char *out, size_t outlen)
{
    size_t o = 0;
    for (; *s != '\0' && o + 3 < outlen; s++) {
        if (*s == ',' || *s == ' ' || *s == '=') {
            out[o++] = '\\';
        }
        out[o++] = *s;
    }
    out[o] = '\0';
}

/* ---- points ------------------------------------------------------------------ */

int nb_influx_open(const char *url, const char *db, const char *scenario, const char *type,
                   const char *run, struct nb_influx **out)
{
    struct nb_influx *in;
    char q[512], enc[1600], path[1700], dbenc[200], e1[64], e2[64], e3[192];
    const char *hostport, *slash, *colon;
    int status = 0;

    if (strncmp(url, "http://", 7) != 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    if ((in = calloc(1, sizeof(*in))) == NULL) {
        return BO_E_NOMEM;
    }
    hostport = url + 7;
    slash = strchr(hostport, '/');
    size_t hlen = slash != NULL ? (size_t)(slash - hostport) : strlen(hostport);
    colon = memchr(hostport, ':', hlen);
    size_t nlen = colon != NULL ? (size_t)(colon - hostport) : hlen;
    if (nlen == 0 || nlen >= sizeof(in->host)) {
        free(in);
        return BO_E_INVALID_ARGUMENT;
    }
    memcpy(in->host, hostport, nlen);
    if (colon != NULL) {
        size_t plen = hlen - nlen - 1;
        if (plen == 0 || plen >= sizeof(in->port)) {
            free(in);
            return BO_E_INVALID_ARGUMENT;
        }
        memcpy(in->port, colon + 1, plen);
    } else {
        snprintf(in->port, sizeof(in->port), "80");
    }
    nb_urlencode(db, dbenc, sizeof(dbenc));
    snprintf(in->write_path, sizeof(in->write_path), "/write?db=%s&precision=ms", dbenc);
    nb_tag_escape(scenario, e1, sizeof(e1));
    nb_tag_escape(type, e2, sizeof(e2));
    nb_tag_escape(run, e3, sizeof(e3));
    snprintf(in->tags, sizeof(in->tags), "tool=nngbench,scenario=%s,type=%s,run=%s", e1, e2, e3);

    snprintf(q, sizeof(q), "CREATE DATABASE \"%s\"", db);
    nb_urlencode(q, enc, sizeof(enc));
    snprintf(path, sizeof(path), "/query?q=%s", enc);
    if (nb_http_post(in->host, in->port, path, "", 0, &status) != BO_OK || status / 100 != 2) {
        fprintf(stderr, "nngbench: InfluxDB at %s: creating database %s failed (HTTP %d)\n", url,
                db, status);
        nb_influx_close(in);
        return BO_E_UNAVAILABLE;
    }
    *out = in;
    return BO_OK;
}

void nb_influx_write_second(struct nb_influx *in, int64_t now_ms, const struct nb_totals *window,
                            int vus)
{
    char body[4096];
    double mean =
        window->requests > 0 ? (double)window->sum_us / (double)window->requests / 1000.0 : 0.0;
    int status = 0, n;

    n = snprintf(body, sizeof(body),
                 "nng_reqs,%s value=%llu %lld\n"
                 "nng_req_failed,%s value=%llu %lld\n"
                 "vus,%s value=%d %lld\n"
                 "data_sent,%s value=%llu %lld\n"
                 "data_received,%s value=%llu %lld\n",
                 in->tags, (unsigned long long)window->requests, (long long)now_ms, in->tags,
                 (unsigned long long)window->failures, (long long)now_ms, in->tags, vus,
                 (long long)now_ms, in->tags, (unsigned long long)window->sent, (long long)now_ms,
                 in->tags, (unsigned long long)window->received, (long long)now_ms);
    if (window->requests > 0 && n > 0 && (size_t)n < sizeof(body)) {
        n += snprintf(body + n, sizeof(body) - (size_t)n,
                      "nng_req_duration,%s value=%.3f,p95=%.3f,p99=%.3f,max=%.3f %lld\n", in->tags,
                      mean, nb_hist_plain_percentile(&window->hist, 95.0) / 1000.0,
                      nb_hist_plain_percentile(&window->hist, 99.0) / 1000.0,
                      (double)window->max_us / 1000.0, (long long)now_ms);
    }
    if (n <= 0 || (size_t)n >= sizeof(body)) {
        return;
    }
    if (nb_http_post(in->host, in->port, in->write_path, body, (size_t)n, &status) != BO_OK ||
        status / 100 != 2) {
        if (!in->warned) {
            fprintf(stderr, "nngbench: writing points to InfluxDB %s:%s failed (HTTP %d)\n",
                    in->host, in->port, status);
            in->warned = 1;
        }
    }
}

void nb_influx_close(struct nb_influx *in)
{
    free(in);
}
