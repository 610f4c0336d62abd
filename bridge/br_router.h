/*
 * br_router: method + path pattern -> handler, from one static table.
 *
 * Patterns are literal segments and "{name}" segments holding a numeric id
 * (digits only, 1..2^63-1; anything else is 400 INVALID_ARGUMENT naming the
 * id). An unknown path is 404 NOT_FOUND; a known path with another method is
 * 405 METHOD_NOT_ALLOWED with an Allow header.
 */
#ifndef BR_ROUTER_H
#define BR_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "br_http.h"

/* A handler answers r and returns the HTTP status it wrote. */
typedef int (*br_handler)(struct br_req *r);

/* Where a method and path lead (br_router_find); which fields hold depends on the result. */
struct br_router_match {
    int route;                     /* the route's index; br_router_count() when none matched */
    uint64_t ids[BR_MAX_PATH_IDS]; /* BO_OK: the path's ids in order of appearance */
    char allow[64];  /* BR_E_METHOD_NOT_ALLOWED: the methods the path has, "GET, PUT" */
    const char *bad; /* BO_E_INVALID_ARGUMENT: the segment that is no id (in path) */
    size_t bad_len;
    const char *bad_name; /* ... and the name of its "{name}" (in the route table) */
    size_t bad_name_len;
};

/*
 * br_router_find matches method and path against the route table without answering
 * anything. Returns BO_OK with m->route and m->ids; BO_E_INVALID_ARGUMENT when a route
 * matched but one of its ids is no whole number from 1 to 2^63-1 (m->route and m->bad*
 * set); BR_E_METHOD_NOT_ALLOWED when the path is known with other methods only (m->allow);
 * else BO_E_NOT_FOUND.
 */
int br_router_find(const char *method, const char *path, struct br_router_match *m);

/* br_router_owns tells whether path is answered by the router (the API, health and metrics);
 * other paths are static files. */
int br_router_owns(const char *path);

/* br_router_dispatch answers r; returns the HTTP status written and sets *route to the index
 * of the route that answered, or to br_router_count() when none matched. */
int br_router_dispatch(struct br_req *r, int *route);

/* br_router_count returns the number of routes. */
int br_router_count(void);

/* br_router_describe returns route i's method and pattern ("unmatched" past the end). */
void br_router_describe(int i, const char **method, const char **pattern);

#endif
