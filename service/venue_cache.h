/*
 * venue_cache: the venues this process has read, kept for its lifetime (a venue never changes
 * once made), shared by every worker, so a hold or a map of a venue date needs no round trip
 * to learn where its seats are.
 */
#ifndef SVC_VENUE_CACHE_H
#define SVC_VENUE_CACHE_H

#include "model.h"
#include "store.h"

/* Most venues one process remembers; past it venues are read every time. */
#define VENUE_CACHE_MAX 1024

struct venue_cache;

/* venue_cache_open makes an empty cache; close it with venue_cache_close. BO_E_NOMEM. */
__attribute__((warn_unused_result)) int venue_cache_open(struct venue_cache **out);

/* venue_cache_close frees the cache and its venues; safe on NULL. */
void venue_cache_close(struct venue_cache *c);

/* venue_cache_get copies venue venue_id into out, from memory, else read with st (the calling
 * worker's connection) and kept. With c NULL it is read every time. Codes of store_venue_get. */
__attribute__((warn_unused_result)) int venue_cache_get(struct venue_cache *c, struct store *st,
                                                        uint64_t venue_id, struct venue *out);

#endif
