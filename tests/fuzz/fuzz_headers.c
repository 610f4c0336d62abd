/*
 * fuzz_headers: request lines and headers as the bridge reads them, alone: the route table
 * match and path ids (bridge/br_router.c br_router_find), the caller (br_caller.c: the
 * Bearer proof of Authorization, the client's address from the peer or a trusted proxy's
 * X-Forwarded-For, IP literals read and written back) and the push base URL from Host
 * (br_config.c br_config_push_base). Input as fuzz_http.h says.
 */
#include "fuzz.h"
#include "fuzz_http.h"

#include "bo_error.h"
#include "br_caller.h"
#include "br_config.h"
#include "br_router.h"
#include "br_status.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

/* fuzz_headers_route checks what br_router_find says of method and path. */
static void fuzz_headers_route(const char *method, const char *path)
{
    struct br_router_match m;
    int rc = br_router_find(method, path, &m);

    switch (rc) {
    case BO_OK:
        fuzz_check(m.route >= 0 && m.route < br_router_count());
        for (int i = 0; i < BR_MAX_PATH_IDS; i++) {
            fuzz_check(m.ids[i] <= (uint64_t)INT64_MAX);
        }
        break;
    case BO_E_INVALID_ARGUMENT:
        fuzz_check(m.bad != NULL && m.bad >= path && m.bad + m.bad_len <= path + strlen(path));
        fuzz_check(m.bad_name != NULL && m.bad_name_len > 0);
        break;
    case BR_E_METHOD_NOT_ALLOWED:
        fuzz_check(m.allow[0] != '\0' && memchr(m.allow, '\0', sizeof(m.allow)) != NULL);
        break;
    default:
        fuzz_check(rc == BO_E_NOT_FOUND);
    }
}

/* fuzz_headers_ip reads s as an IP literal; one that reads must read back from its canonical
 * text as the same address. */
static void fuzz_headers_ip(const char *s)
{
    struct br_ip ip, again;
    char text[BR_CALLER_ADDR_MAX];

    if (br_caller_ip_parse(s, strlen(s), &ip) != BO_OK) {
        fuzz_check(ip.family == 0);
        return;
    }
    br_caller_ip_format(&ip, text);
    fuzz_check(br_caller_ip_parse(text, strlen(text), &again) == BO_OK);
    fuzz_check(br_caller_ip_equal(&ip, &again));
}

/* fuzz_headers_caller reads the caller of ri as the bridge does before each call. */
static void fuzz_headers_caller(const struct mg_request_info *ri)
{
    static const char token68[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=";
    struct br_ip trusted;
    struct br_caller who;
    struct br_ip ip;

    fuzz_check(br_caller_ip_parse("127.0.0.1", 9, &trusted) == BO_OK);
    int rc = br_caller_read(ri, &trusted, &who);
    fuzz_check(rc == BO_OK || rc == BO_E_SESSION_INVALID);
    if (rc == BO_OK) {
        fuzz_check(strlen(who.proof) <= BO_PROOF_MAX);
        fuzz_check(strspn(who.proof, token68) == strlen(who.proof));
        /* the peer is an address, so the client's is one too */
        fuzz_check(br_caller_ip_parse(who.addr, strlen(who.addr), &ip) == BO_OK);
    }
    for (int i = 0; i < ri->num_headers; i++) {
        char proof[BO_PROOF_MAX + 1];
        if (br_caller_proof(ri->http_headers[i].value, proof) == BO_OK) {
            fuzz_check(strspn(proof, token68) == strlen(proof));
        }
        fuzz_headers_ip(ri->http_headers[i].value);
    }
}

/* fuzz_headers_push writes the push base URL for the Host headers of ri. */
static void fuzz_headers_push(const struct mg_request_info *ri)
{
    static struct br_config cfg = {.push_listen = "0.0.0.0:8081"};
    char base[300];

    for (int i = 0; i < ri->num_headers; i++) {
        if (strcasecmp(ri->http_headers[i].name, "Host") != 0) {
            continue;
        }
        int rc = br_config_push_base(&cfg, ri->http_headers[i].value, base, sizeof(base));
        fuzz_check(rc == BO_OK || rc == BO_E_INVALID_ARGUMENT);
        if (rc == BO_OK) {
            fuzz_check(strncmp(base, "http://", 7) == 0 || strncmp(base, "https://", 8) == 0);
            fuzz_check(strpbrk(base, "\r\n\"") == NULL);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_http h;

    if (fuzz_http_parse(&h, data, size) != 0) {
        return 0;
    }
    fuzz_headers_route(h.ri.request_method, h.ri.local_uri);
    fuzz_headers_caller(&h.ri);
    fuzz_headers_push(&h.ri);
    fuzz_http_free(&h);
    return 0;
}
