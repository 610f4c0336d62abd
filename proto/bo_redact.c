/*
 * bo_redact: connection strings with their passwords masked (see bo_redact.h). Reads the text
 * as written, never through bo_url_parse: a string that parser refuses (a query, a conninfo)
 * must still be shown without its password.
 */
#include "bo_redact.h"

#include "bo_error.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The text written so far: n bytes of buf (len bytes); over once something did not fit. */
struct bo_redact_out {
    char *buf;
    size_t len;
    size_t n;
    int over;
};

/* bo_redact_put appends s[0..n) to o, or marks o over when it does not fit. */
static void bo_redact_put(struct bo_redact_out *o, const char *s, size_t n)
{
    if (o->over || o->n + n >= o->len) {
        o->over = 1;
        return;
    }
    memcpy(o->buf + o->n, s, n);
    o->n += n;
}

/* bo_redact_put_str appends the string s to o. */
static void bo_redact_put_str(struct bo_redact_out *o, const char *s)
{
    bo_redact_put(o, s, strlen(s));
}

/* bo_redact_is_password_key tells whether the key k[0..n) ends in "password" (password,
 * sslpassword, ...), in any case. */
static int bo_redact_is_password_key(const char *k, size_t n)
{
    static const char word[] = "password";
    size_t w = sizeof(word) - 1;

    return n >= w && strncasecmp(k + n - w, word, w) == 0;
}

/* bo_redact_userinfo appends the user info u[0..n) (the text before the last '@') with its
 * password masked: "user:pw" -> "user:***"; a lone "x" is kept when lone_is_user, else is a
 * password (":***"). User info holding '/', '?' or '#' spans more than the authority (an '@'
 * further on, in a path or query): all of it is masked. */
static void bo_redact_userinfo(struct bo_redact_out *o, const char *u, size_t n, int lone_is_user)
{
    const char *colon = memchr(u, ':', n);

    if (strcspn(u, "/?#") < n) {
        bo_redact_put_str(o, ":" BO_REDACT_MASK);
    } else if (colon != NULL) {
        bo_redact_put(o, u, (size_t)(colon - u) + 1);
        bo_redact_put_str(o, BO_REDACT_MASK);
    } else if (lone_is_user) {
        bo_redact_put(o, u, n);
    } else {
        bo_redact_put_str(o, ":" BO_REDACT_MASK);
    }
}

/* bo_redact_query appends a URL's query and fragment q ("?k=v&k=v#f", or "") with the value
 * of every password key masked. */
static void bo_redact_query(struct bo_redact_out *o, const char *q)
{
    size_t frag = strcspn(q, "#");
    size_t i = 0;

    while (i < frag) {
        /* q[i] is '?' or '&': one separator, then one key=value up to the next. */
        size_t start = i + 1;
        size_t end = start + strcspn(q + start, "&#");
        const char *eq = memchr(q + start, '=', end - start);

        bo_redact_put(o, q + i, 1);
        if (eq != NULL && bo_redact_is_password_key(q + start, (size_t)(eq - (q + start)))) {
            bo_redact_put(o, q + start, (size_t)(eq - (q + start)) + 1);
            bo_redact_put_str(o, BO_REDACT_MASK);
        } else {
            bo_redact_put(o, q + start, end - start);
        }
        i = end;
    }
    bo_redact_put_str(o, q + frag);
}

/* bo_redact_conninfo_value returns the length of the conninfo value at v: a quoted one up to
 * its closing quote (backslash escapes skipped), else up to the next space. */
static size_t bo_redact_conninfo_value(const char *v)
{
    size_t i = 0;

    if (v[0] != '\'') {
        return strcspn(v, " \t\r\n");
    }
    for (i = 1; v[i] != '\0' && v[i] != '\''; i++) {
        if (v[i] == '\\' && v[i + 1] != '\0') {
            i++;
        }
    }
    return v[i] == '\'' ? i + 1 : i;
}

/* bo_redact_conninfo appends a libpq "key=value key='value'" string with the value of every
 * password key masked. */
static void bo_redact_conninfo(struct bo_redact_out *o, const char *s)
{
    while (*s != '\0') {
        size_t space = strspn(s, " \t\r\n");
        size_t key = strcspn(s + space, "= \t\r\n");
        const char *p = s + space + key;
        size_t gap = strspn(p, " \t\r\n");

        if (p[gap] != '=') { /* not key=value: copied as it stands */
            bo_redact_put(o, s, space + key);
            s = p;
            continue;
        }
        const char *v = p + gap + 1;
        v += strspn(v, " \t\r\n");
        size_t vlen = bo_redact_conninfo_value(v);
        if (bo_redact_is_password_key(s + space, key)) {
            bo_redact_put(o, s, (size_t)(v - s));
            bo_redact_put_str(o, BO_REDACT_MASK);
        } else {
            bo_redact_put(o, s, (size_t)(v - s) + vlen);
        }
        s = v + vlen;
    }
}

/* bo_redact_urlish appends "[USERINFO@]HOST...[?QUERY]" with its passwords masked; rest is
 * the text after the scheme's "://" (or the whole string), lone_is_user as in
 * bo_redact_userinfo. The last '@' anywhere ends the user info: a password holding an
 * unencoded '/', '?' or '@' is masked whole, never shown in part. */
static void bo_redact_urlish(struct bo_redact_out *o, const char *rest, int lone_is_user)
{
    const char *at = strrchr(rest, '@');

    if (at != NULL) {
        bo_redact_userinfo(o, rest, (size_t)(at - rest), lone_is_user);
        rest = at;
    }
    size_t qpos = strcspn(rest, "?#");
    bo_redact_put(o, rest, qpos);
    bo_redact_query(o, rest + qpos);
}

int bo_redact_url(const char *url, char *out, size_t len)
{
    struct bo_redact_out o = {out, len, 0, 0};
    static const char scheme_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789+-.";
    const char *sep = strstr(url, "://");

    if (len == 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    /* "://" after anything but a scheme (a conninfo password "a://b") is no URL. */
    if (sep != NULL && sep > url && strspn(url, scheme_chars) == (size_t)(sep - url)) {
        size_t slen = (size_t)(sep - url);
        int pg = (slen == 8 && strncasecmp(url, "postgres", 8) == 0) ||
                 (slen == 10 && strncasecmp(url, "postgresql", 10) == 0);
        bo_redact_put(&o, url, slen + 3);
        bo_redact_urlish(&o, sep + 3, pg);
    } else if (strchr(url, '=') != NULL) {
        bo_redact_conninfo(&o, url);
    } else {
        bo_redact_urlish(&o, url, 0);
    }
    if (o.over) {
        snprintf(out, len, "%s", BO_REDACT_MASK);
        return BO_E_INVALID_ARGUMENT;
    }
    out[o.n] = '\0';
    return BO_OK;
}
