/* fuzz_http: requests from fuzzer bytes and a connection without a socket (see fuzz_http.h). */
#include "fuzz_http.h"

#include "fuzz.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int fuzz_http_parse(struct fuzz_http *h, const uint8_t *data, size_t size)
{
    char *p, *line, *end, *sp;
    int chunked = 0;

    memset(h, 0, sizeof(*h));
    if ((h->text = malloc(size + 1)) == NULL) {
        return -1;
    }
    memcpy(h->text, data, size);
    h->text[size] = '\0';
    end = h->text + size;
    line = h->text;
    p = memchr(line, '\n', size);
    if (p == NULL || (sp = memchr(line, ' ', (size_t)(p - line))) == NULL) {
        goto refuse;
    }
    *p = '\0';
    *sp = '\0';
    if (strlen(line) != (size_t)(sp - line) || sp[1] != '/') {
        goto refuse; /* a NUL in the request line: civetweb never passes one */
    }
    h->ri.request_method = line;
    h->ri.request_uri = sp + 1;
    h->ri.local_uri = sp + 1;
    h->ri.local_uri_raw = sp + 1;
    h->ri.http_version = "1.1";
    if ((sp = strchr(sp + 1, '?')) != NULL) {
        *sp = '\0';
        h->ri.query_string = sp + 1;
    }
    snprintf(h->ri.remote_addr, sizeof(h->ri.remote_addr), "127.0.0.1");
    h->ri.remote_port = 40000;
    h->ri.server_port = 8090;
    h->ri.content_length = -1;
    line = p + 1;
    while (line < end && *line != '\n') {
        char *colon;
        p = memchr(line, '\n', (size_t)(end - line));
        if (p == NULL || h->ri.num_headers == FUZZ_HTTP_HEADERS) {
            goto refuse;
        }
        *p = '\0';
        if ((colon = strchr(line, ':')) == NULL || colon == line) {
            goto refuse;
        }
        *colon++ = '\0';
        while (*colon == ' ') {
            colon++;
        }
        h->ri.http_headers[h->ri.num_headers].name = line;
        h->ri.http_headers[h->ri.num_headers].value = colon;
        h->ri.num_headers++;
        chunked |= strcasecmp(line, "Transfer-Encoding") == 0;
        line = p + 1;
    }
    h->conn.ri = &h->ri;
    if (line < end) { /* the empty line: a body follows */
        h->conn.body = line + 1;
        h->conn.body_len = (size_t)(end - line - 1);
        h->ri.content_length = chunked ? -1 : (long long)h->conn.body_len;
    }
    return 0;
refuse:
    free(h->text);
    h->text = NULL;
    return -1;
}

void fuzz_http_free(struct fuzz_http *h)
{
    free(h->text);
    h->text = NULL;
}

/* ---- the civetweb calls of the bridge ------------------------------------------------------ */

const char *mg_get_header(const struct mg_connection *conn, const char *name)
{
    for (int i = 0; i < conn->ri->num_headers; i++) {
        if (strcasecmp(conn->ri->http_headers[i].name, name) == 0) {
            return conn->ri->http_headers[i].value;
        }
    }
    return NULL;
}

int mg_read(struct mg_connection *conn, void *buf, size_t len)
{
    size_t n = conn->body_len - conn->body_off;

    /* Bodies arrive in pieces, as over a socket. */
    if (n > 1000) {
        n = 1000;
    }
    if (n > len) {
        n = len;
    }
    if (n == 0) {
        return 0; /* the end of the body */
    }
    memcpy(buf, conn->body + conn->body_off, n);
    conn->body_off += n;
    return (int)n;
}

/* fuzz_http_response checks one response: status line, headers, Content-Length, JSON body. */
static void fuzz_http_response(struct mg_connection *conn, const char *resp, size_t len)
{
    const char *head_end, *cl;
    char *copy;
    int status = 0;

    if ((copy = malloc(len + 1)) == NULL) {
        return;
    }
    memcpy(copy, resp, len);
    copy[len] = '\0';
    fuzz_check(strlen(copy) == len); /* no NUL in a response */
    fuzz_check(sscanf(copy, "HTTP/1.1 %3d ", &status) == 1 && status >= 100 && status <= 599);
    head_end = strstr(copy, "\r\n\r\n");
    fuzz_check(head_end != NULL);
    cl = strstr(copy, "\r\nContent-Length: ");
    fuzz_check(cl != NULL && cl < head_end);
    size_t body_len = len - (size_t)(head_end + 4 - copy);
    fuzz_check(strtoull(cl + 18, NULL, 10) == body_len);
    /* No header line breaks early: every line of the head is "Name: value". */
    for (const char *l = strstr(copy, "\r\n") + 2; l < head_end; l = strstr(l, "\r\n") + 2) {
        const char *eol = strstr(l, "\r\n");
        const char *colon = memchr(l, ':', (size_t)(eol - l));
        fuzz_check(colon != NULL && colon > l);
        fuzz_check(memchr(l, '\n', (size_t)(eol - l)) == NULL);
    }
    if (strstr(copy, "\r\nContent-Type: application/json\r\n") != NULL && body_len > 0) {
        cJSON *json = cJSON_ParseWithLength(head_end + 4, body_len);
        fuzz_check(json != NULL);
        cJSON_Delete(json);
    }
    conn->status = status;
    free(copy);
}

int mg_write(struct mg_connection *conn, const void *buf, size_t len)
{
    conn->responses++;
    fuzz_check(conn->responses == 1);
    fuzz_http_response(conn, buf, len);
    return (int)len;
}
