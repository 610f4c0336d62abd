/* best_seats: the best free seats of a section (see best_seats.h). */
#include "best_seats.h"

#include "bo_error.h"

#include <stdlib.h>
#include <string.h>

/* best_seats_score ranks a block starting at column col (0-based) of quantity seats in row
 * (0-based) of seats_per_row: lower is better, the row first, then the block's distance from the
 * middle of the row (in half seats). */
static uint64_t best_seats_score(uint32_t row, uint32_t col, size_t quantity,
                                 uint32_t seats_per_row)
{
    int64_t off = 2 * (int64_t)col + (int64_t)quantity - (int64_t)seats_per_row;

    return (uint64_t)row << 32 | (uint64_t)(off < 0 ? -off : off);
}

/* best_seats_keep puts the block at seat first (score) among out's best, dropping the worst
 * when full. */
static void best_seats_keep(struct best_seats *out, uint64_t *scores, uint32_t first,
                            uint64_t score)
{
    size_t at = out->n;

    if (at == BEST_SEATS_CANDIDATES) {
        if (score >= scores[at - 1]) {
            return;
        }
        at--;
    } else {
        out->n++;
    }
    while (at > 0 && scores[at - 1] > score) {
        scores[at] = scores[at - 1];
        memcpy(out->seat_nos[at], out->seat_nos[at - 1], sizeof(out->seat_nos[at]));
        at--;
    }
    scores[at] = score;
    for (size_t k = 0; k < out->quantity; k++) {
        out->seat_nos[at][k] = first + (uint32_t)k;
    }
}

/* best_seats_together fills out with non-overlapping runs of out->quantity free seats. */
static void best_seats_together(const struct section *sec, const struct bo_seat_state *seats,
                                int64_t now_ms, struct best_seats *out)
{
    uint64_t scores[BEST_SEATS_CANDIDATES];

    for (uint32_t row = 0; row < sec->rows; row++) {
        uint32_t run = 0; /* free seats in a row before col, since the last block or taken seat */
        for (uint32_t col = 0; col < sec->seats_per_row; col++) {
            const struct bo_seat_state *s = &seats[(size_t)row * sec->seats_per_row + col];
            if (bo_seat_status_at(s, now_ms) != BO_SEAT_AVAILABLE) {
                run = 0;
                continue;
            }
            if (++run == out->quantity) {
                uint32_t start = col + 1 - run;
                best_seats_keep(out, scores, sec->first_seat_no + row * sec->seats_per_row + start,
                                best_seats_score(row, start, out->quantity, sec->seats_per_row));
                run = 0;
            }
        }
    }
}

/* One free seat and its rank, for choosing seats apart. */
struct best_seat {
    uint64_t score;
    uint32_t seat_no;
};

static int best_seat_cmp(const void *a, const void *b)
{
    const struct best_seat *x = a, *y = b;

    return x->score < y->score ? -1 : x->score > y->score ? 1 : (x->seat_no > y->seat_no);
}

static int best_seat_no_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

/* best_seats_apart fills out with blocks of the best free seats taken in order of rank. */
static int best_seats_apart(const struct section *sec, const struct bo_seat_state *seats, size_t n,
                            int64_t now_ms, struct best_seats *out)
{
    struct best_seat *free_seats = malloc(n * sizeof(*free_seats));
    size_t nfree = 0;

    if (free_seats == NULL) {
        return BO_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (bo_seat_status_at(&seats[i], now_ms) == BO_SEAT_AVAILABLE) {
            uint32_t row = (uint32_t)(i / sec->seats_per_row);
            uint32_t col = (uint32_t)(i % sec->seats_per_row);
            free_seats[nfree++] =
                (struct best_seat){best_seats_score(row, col, 1, sec->seats_per_row),
                                   sec->first_seat_no + (uint32_t)i};
        }
    }
    qsort(free_seats, nfree, sizeof(*free_seats), best_seat_cmp);
    for (size_t b = 0; b < BEST_SEATS_CANDIDATES && (b + 1) * out->quantity <= nfree; b++) {
        for (size_t k = 0; k < out->quantity; k++) {
            out->seat_nos[b][k] = free_seats[b * out->quantity + k].seat_no;
        }
        qsort(out->seat_nos[b], out->quantity, sizeof(uint32_t), best_seat_no_cmp);
        out->n = b + 1;
    }
    free(free_seats);
    return BO_OK;
}

int best_seats_find(const struct section *sec, const struct bo_seat_state *seats, size_t n,
                    size_t quantity, int together, int64_t now_ms, struct best_seats *out)
{
    memset(out, 0, sizeof(*out));
    if (quantity < 1 || quantity > HOLD_SEATS_MAX || sec->seats_per_row == 0 ||
        n != (size_t)sec->rows * sec->seats_per_row) {
        return BO_E_INVALID_ARGUMENT;
    }
    out->quantity = quantity;
    if (together) {
        best_seats_together(sec, seats, now_ms, out);
        return BO_OK;
    }
    return best_seats_apart(sec, seats, n, now_ms, out);
}

void best_seats_drop(struct best_seats *b, const uint32_t *taken, size_t n)
{
    size_t kept = 0;

    for (size_t i = 0; i < b->n; i++) {
        int hit = 0;
        for (size_t k = 0; k < b->quantity && !hit; k++) {
            for (size_t j = 0; j < n && !hit; j++) {
                hit = b->seat_nos[i][k] == taken[j];
            }
        }
        if (!hit) {
            memmove(b->seat_nos[kept++], b->seat_nos[i], sizeof(b->seat_nos[i]));
        }
    }
    b->n = kept;
}
