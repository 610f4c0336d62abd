/*
 * catalog_memory: what every worker of one process knows of the catalog without asking
 * PostgreSQL: the concert and venue of each date (a date never moves), and when each concert's
 * sale opens (read again once it is CATALOG_MEMORY_OPENS_TTL_MS old).
 *
 * One memory per process rather than one per worker: a sale of thousands of dates spread over
 * 16 workers had each worker ask for every date and concert itself (2.7 lookups a purchase in
 * the bench's flow). Direct-mapped (an id takes the slot id % size), fixed size, so it never
 * grows. Every function may be called from any thread and does nothing (or finds nothing) on
 * a NULL memory.
 */
#ifndef SVC_CATALOG_MEMORY_H
#define SVC_CATALOG_MEMORY_H

#include <stdint.h>

/* Dates and concerts one process remembers (24 bytes a slot): a sale of tens of thousands of
 * dates stays in it; dates made one after another never share a slot below that. */
#define CATALOG_MEMORY_DATES    32768
#define CATALOG_MEMORY_CONCERTS 4096

/* How long a concert's opening time is trusted: an admin's change reaches Redis (which decides
 * admission) at once, this instance's memory at once, and the other instances' within this. */
#define CATALOG_MEMORY_OPENS_TTL_MS 1000

struct catalog_memory;

/* catalog_memory_open makes an empty memory; close it with catalog_memory_close. BO_E_NOMEM. */
__attribute__((warn_unused_result)) int catalog_memory_open(struct catalog_memory **out);

/* catalog_memory_close frees the memory; safe on NULL. */
void catalog_memory_close(struct catalog_memory *m);

/* catalog_memory_date writes schedule_id's concert and venue (0: the hall) when known: 1, else
 * 0 (read it from the store and keep it). */
int catalog_memory_date(struct catalog_memory *m, uint64_t schedule_id, uint64_t *concert_id,
                        uint64_t *venue_id);

/* catalog_memory_keep_date remembers what the store said of schedule_id. */
void catalog_memory_keep_date(struct catalog_memory *m, uint64_t schedule_id, uint64_t concert_id,
                              uint64_t venue_id);

/* catalog_memory_opens writes when concert_id's sale opens (0: open) when it was kept less than
 * CATALOG_MEMORY_OPENS_TTL_MS before now_mono_ms: 1, else 0. */
int catalog_memory_opens(struct catalog_memory *m, uint64_t concert_id, int64_t now_mono_ms,
                         int64_t *opens_ms);

/* catalog_memory_keep_opens remembers concert_id's opening time as read (or set) at
 * read_mono_ms. */
void catalog_memory_keep_opens(struct catalog_memory *m, uint64_t concert_id, int64_t opens_ms,
                               int64_t read_mono_ms);

#endif
