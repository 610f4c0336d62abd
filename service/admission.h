/*
 * admission: the loop that lets waiting users in.
 *
 * Each service instance runs one admission thread with its own connections.
 * Every tick it takes or renews the leader lease in Redis; only the holder
 * admits, so exactly one instance admits at a time. The leader moves waiting
 * tokens to ACTIVE per concert at the configured rate up to max_active (FIFO),
 * and ends unpaid holds past their expiry in PostgreSQL.
 */
#ifndef SVC_ADMISSION_H
#define SVC_ADMISSION_H

#include "events.h"
#include "svc_config.h"

struct admission;

/* admission_start starts the loop thread, which publishes what it admits on events (borrowed
 * until admission_stop; NULL publishes nothing); stop and free with admission_stop. */
__attribute__((warn_unused_result)) int
admission_start(const struct svc_config *cfg, struct events *events, struct admission **out);

/* admission_stop stops the thread, releases the lease and frees everything; safe on NULL. */
void admission_stop(struct admission *a);

#endif
