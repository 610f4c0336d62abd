/*
 * server: the NNG rep0 listener and its worker pool.
 *
 * N workers, each an nng context on one rep0 socket with its own thread and its
 * own PostgreSQL and Redis connections (a svc_context), so N requests are in
 * flight at once and no connection is shared between threads. A request answered
 * from memory (a seat map) is answered on the nng thread that received it; the
 * others by the worker's thread, which may wait on the databases.
 */
#ifndef SVC_SERVER_H
#define SVC_SERVER_H

#include "svc_config.h"

struct server;
struct svc_shared;

/* server_start opens the workers' connections (and, with cfg->redis_batch, their shared Redis
 * pipelines), listens on cfg->rpc_url (one address or several, comma-separated) and starts
 * serving with what shared holds (proof keys, events, seat maps, token memory; borrowed until
 * server_stop).
 * BO_E_UNAVAILABLE when PostgreSQL or Redis cannot be reached, BO_E_INVALID_ARGUMENT when the
 * address cannot be listened on. Stop and free with server_stop. */
__attribute__((warn_unused_result)) int
server_start(const struct svc_config *cfg, const struct svc_shared *shared, struct server **out);

/* server_stop closes the socket, joins the workers and closes their connections; safe on NULL
 * and on a half-started server. */
void server_stop(struct server *s);

#endif
