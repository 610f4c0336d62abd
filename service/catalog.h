/* catalog: concerts, their dates and seat maps, as a token holder may see them. */
#ifndef SVC_CATALOG_H
#define SVC_CATALOG_H

#include "model.h"
#include "svc_context.h"

/* catalog_concerts lists every concert (public); caller frees *out with free(). */
__attribute__((warn_unused_result)) int catalog_concerts(struct svc_context *ctx,
                                                         struct concert **out, size_t *n);

/* catalog_schedules lists the concert's dates with seats left, for an ACTIVE token of that
 * concert (BO_E_WRONG_CONCERT otherwise); caller frees *out with free(). */
__attribute__((warn_unused_result)) int catalog_schedules(struct svc_context *ctx,
                                                          const char *token, uint64_t concert_id,
                                                          struct schedule **out, size_t *n);

/* The most seats a whole map answers without a section, and a section's seats answered one by
 * one (a bigger one answers only compact). */
#define CATALOG_WHOLE_MAP_MAX 2000
#define CATALOG_SEAT_LIST_MAX 5000

/* A seat map as catalog_seats reads it: a whole date, or one section of a venue date. */
struct catalog_map {
    uint64_t concert_id;
    int64_t active_until_ms;       /* until when the asking token stays ACTIVE */
    struct venue venue;            /* a venue date's venue (id 0: a date of the hall) */
    const struct section *section; /* the section asked, in venue; NULL: the whole map */
    uint32_t first_seat_no;
    size_t n;
    struct bo_seat_state *seats; /* n seats from first_seat_no, statuses as of now (malloc) */
};

/* catalog_seats reads the seat map of a date of the token's concert (all of it, or section's
 * seats when section is not empty) into *out, from the instance's memory when it is fresh (see
 * seat_maps.h); the caller frees out->seats. BO_E_NO_SECTIONS for a section of a hall date,
 * BO_E_SECTION_NOT_FOUND, BO_E_SECTION_REQUIRED for a whole map of more than
 * CATALOG_WHOLE_MAP_MAX seats; the codes of reads with a token. */
__attribute__((warn_unused_result)) int catalog_seats(struct svc_context *ctx, const char *token,
                                                      uint64_t schedule_id, const char *section,
                                                      struct catalog_map *out);

/* catalog_schedule_venue checks that schedule_id is a date of concert_id and writes its venue
 * (0: the hall) to *venue_id, remembering both per worker (a date never moves):
 * BO_E_SCHEDULE_NOT_FOUND, BO_E_WRONG_CONCERT. */
__attribute__((warn_unused_result)) int catalog_schedule_venue(struct svc_context *ctx,
                                                               uint64_t schedule_id,
                                                               uint64_t concert_id,
                                                               uint64_t *venue_id);

/* catalog_schedule_check checks that schedule_id is a date of concert_id, remembering the
 * concert of each date once per process (a date never moves to another concert):
 * BO_E_SCHEDULE_NOT_FOUND, BO_E_WRONG_CONCERT. */
__attribute__((warn_unused_result)) int
catalog_schedule_check(struct svc_context *ctx, uint64_t schedule_id, uint64_t concert_id);

/* catalog_concert_opens writes when concert_id's sale opens (0: open) into *opens_ms, remembered
 * once per process for a second (token issue makes no PostgreSQL round trip then);
 * BO_E_CONCERT_NOT_FOUND. */
__attribute__((warn_unused_result)) int
catalog_concert_opens(struct svc_context *ctx, uint64_t concert_id, int64_t *opens_ms);

#endif
