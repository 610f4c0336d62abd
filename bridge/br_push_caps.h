/*
 * br_push_caps: the push listener's caps on open connections, in all and
 * per client address: a count of the connections let in, and a hash map
 * from client address to its count (an entry lives while its count is not
 * 0). The per-token cap is counted by the hub (br_push_hub_followers); the
 * caps in force come from br_push_events_caps and the configuration.
 *
 * Used by the push loop thread only: no locking.
 */
#ifndef BR_PUSH_CAPS_H
#define BR_PUSH_CAPS_H

#include <stddef.h>
#include <stdint.h>

#include "br_metrics.h"

struct br_push_caps;
struct br_push_addr; /* one client address's count; held by each of its connections */

/* br_push_caps_create makes empty caps. Returns 0 with *out set (free with
 * br_push_caps_destroy), or BO_E_NOMEM. */
__attribute__((warn_unused_result)) int br_push_caps_create(struct br_push_caps **out);

/* br_push_caps_destroy frees c and every address still counted; safe on NULL. */
void br_push_caps_destroy(struct br_push_caps *c);

/*
 * br_push_caps_admit lets a new connection from address ip ("" when unknown) in unless
 * max_total connections are in already or ip has per_address (each 0: no cap). Returns 0 with
 * *slot set (give it back with br_push_caps_release when the connection closes),
 * BO_E_UNAVAILABLE with *why set (BR_METRICS_PUSH_TOTAL or BR_METRICS_PUSH_ADDRESS) and
 * *slot NULL, or BO_E_NOMEM.
 */
__attribute__((warn_unused_result)) int br_push_caps_admit(struct br_push_caps *c, const char *ip,
                                                           uint32_t max_total, uint32_t per_address,
                                                           struct br_push_addr **slot,
                                                           enum br_metrics_push_refusal *why);

/* br_push_caps_release gives back a connection's slot; safe on NULL. */
void br_push_caps_release(struct br_push_caps *c, struct br_push_addr *slot);

/* br_push_caps_total returns the number of connections let in and not yet released. */
size_t br_push_caps_total(const struct br_push_caps *c);

#endif
