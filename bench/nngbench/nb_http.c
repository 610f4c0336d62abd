/* nb_http: one HTTP/1.1 request over a plain socket (see nb_http.h). */
#include "nb_http.h"

#include "bo_error.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define NB_HTTP_TIMEOUT_S 2

static int nb_connect(const char *host, const char *port)
{
    struct addrinfo hints, *res = NULL;
    struct timeval tv = {NB_HTTP_TIMEOUT_S, 0};
    int fd = -1;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0) {
        return -1;
    }
    for (struct addrinfo *a = res; a != NULL; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0) {
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            break;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static int nb_send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n <= 0) {
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int nb_http_post(const char *host, const char *port, const char *path, const char *body, size_t len,
                 int *status)
{
    char head[1024], reply[512];
    int fd = nb_connect(host, port);
    int n, rc = BO_E_UNAVAILABLE;

    if (fd < 0) {
        return BO_E_UNAVAILABLE;
    }
    n = snprintf(head, sizeof(head),
                 "POST %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: boxoffice-nngbench\r\n"
                 "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n",
                 path, host, port, len);
    if (n > 0 && (size_t)n < sizeof(head) && nb_send_all(fd, head, (size_t)n) == 0 &&
        nb_send_all(fd, body, len) == 0) {
        ssize_t got = recv(fd, reply, sizeof(reply) - 1, 0);
        int code = 0;
        if (got > 0) {
            reply[got] = '\0';
            if (sscanf(reply, "HTTP/%*s %d", &code) == 1) {
                *status = code;
                rc = BO_OK;
            }
        }
    }
    close(fd);
    return rc;
}

int nb_http_get(const char *host, const char *port, const char *path, const char *headers,
                int *status, char *buf, size_t buflen)
{
    char head[2048];
    size_t used = 0;
    int fd = nb_connect(host, port);
    int n, code = 0;

    if (fd < 0 || buflen == 0) {
        if (fd >= 0) {
            close(fd);
        }
        return BO_E_UNAVAILABLE;
    }
    n = snprintf(head, sizeof(head),
                 "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: boxoffice-nngbench\r\n%s"
                 "Connection: close\r\n\r\n",
                 path, host, port, headers);
    if (n > 0 && (size_t)n < sizeof(head) && nb_send_all(fd, head, (size_t)n) == 0) {
        ssize_t got;
        while (used + 1 < buflen && (got = recv(fd, buf + used, buflen - 1 - used, 0)) > 0) {
            used += (size_t)got;
        }
    }
    close(fd);
    buf[used] = '\0';
    if (sscanf(buf, "HTTP/%*s %d", &code) != 1) {
        return BO_E_UNAVAILABLE;
    }
    *status = code;
    return BO_OK;
}
