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

#include "br_http.h"

/* A handler answers r and returns the HTTP status it wrote. */
typedef int (*br_handler)(struct br_req *r);

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
