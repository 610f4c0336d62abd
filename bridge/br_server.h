/*
 * br_server: the civetweb server in front of the router.
 *
 * One libboxoffice client (a socket dialled to every service instance) is
 * shared; each civetweb worker thread keeps its own session, opened on its
 * first rpc and closed when the thread exits. Paths the router does not own
 * are served from web-root (the page).
 */
#ifndef BR_SERVER_H
#define BR_SERVER_H

#include "br_config.h"
#include "br_seatmaps.h"

struct br_server;

/* br_server_start dials the service and starts listening per cfg (borrowed until
 * br_server_stop); the admission events its seat maps' feed receives go to admission with
 * admission_arg (NULL: none wanted; see br_seatmaps_open). Returns 0 with *out set, or an
 * error code after logging why. */
__attribute__((warn_unused_result)) int br_server_start(const struct br_config *cfg,
                                                        br_seatmaps_admission_fn admission,
                                                        void *admission_arg,
                                                        struct br_server **out);

/* br_server_stop stops civetweb (joining its threads), closes the client and frees s; safe on
 * NULL. */
void br_server_stop(struct br_server *s);

#endif
