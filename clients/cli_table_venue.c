/*
 * cli_table_venue: what the commands for venues read from their options before a call (see
 * cli_command.h): the seats of a hold ('hold --seat | --seats | --best') and the sections of
 * a venue ('admin-venue --section NAME:ROWSxSEATS:PRICE ...'). Every list or spec that is not
 * well formed is refused here, with what was wrong, and nothing is called.
 */
#include "cli_command.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* The longest section name (as the service takes it). */
#define CLI_SECTION_NAME_MAX 16

/* ---- hold --------------------------------------------------------------------- */

/* cli_seat_list parses --seats "3,4,5" into seats[0..*n): 1..CLI_HOLD_SEATS_MAX distinct seat
 * numbers of at least 1. CLI_EXIT_OK, or CLI_EXIT_USAGE after printing why. */
static int cli_seat_list(const char *text, uint32_t seats[CLI_HOLD_SEATS_MAX], size_t *n)
{
    char item[32];
    int64_t v = 0;
    int more;

    *n = 0;
    for (const char *p = text; (more = cli_list_item(&p, item, sizeof(item))) > 0;) {
        if (cli_parse_int(item, 1, UINT32_MAX, &v) != BO_OK) {
            fprintf(stderr,
                    "error: --seats: '%s' is not a seat number (a whole number of at least 1)\n",
                    item);
            return CLI_EXIT_USAGE;
        }
        for (size_t i = 0; i < *n; i++) {
            if (seats[i] == (uint32_t)v) {
                fprintf(stderr,
                        "error: --seats names seat %" PRId64 " twice: name each seat once\n", v);
                return CLI_EXIT_USAGE;
            }
        }
        if (*n == CLI_HOLD_SEATS_MAX) {
            fprintf(stderr,
                    "error: --seats names more than %d seats: a hold takes at most %d (the "
                    "service's maxSeatsPerHold, default 4)\n",
                    CLI_HOLD_SEATS_MAX, CLI_HOLD_SEATS_MAX);
            return CLI_EXIT_USAGE;
        }
        seats[(*n)++] = (uint32_t)v;
    }
    if (more < 0) {
        fprintf(stderr,
                "error: --seats must be seat numbers separated by commas, like 3,4,5 (no empty "
                "item), not '%s'\n",
                text);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* cli_hold_best checks the options of best available: --best N (1..CLI_HOLD_SEATS_MAX) needs
 * --section; together unless --apart. */
static int cli_hold_best(const struct cli_ctx *c, Boxoffice__V1__HoldSeatRequest *r)
{
    int64_t quantity = cli_opt_num(c, CLI_HOLD_BEST);

    if (!cli_opt_given(c, CLI_HOLD_SECTION)) {
        fprintf(stderr, "error: --best needs --section NAME: the best available seats are picked "
                        "in one section (see 'sections')\n");
        return CLI_EXIT_USAGE;
    }
    if (quantity < 1 || quantity > CLI_HOLD_SEATS_MAX) {
        fprintf(stderr,
                "error: --best must be from 1 to %d seats (the service's maxSeatsPerHold, default "
                "4), not %" PRId64 "\n",
                CLI_HOLD_SEATS_MAX, quantity);
        return CLI_EXIT_USAGE;
    }
    r->together = !cli_opt_given(c, CLI_HOLD_APART);
    return CLI_EXIT_OK;
}

int cli_build_hold(const struct cli_ctx *c, ProtobufCMessage *req, void **held)
{
    Boxoffice__V1__HoldSeatRequest *r = (Boxoffice__V1__HoldSeatRequest *)req;
    int ways = cli_opt_given(c, CLI_HOLD_SEAT) + cli_opt_given(c, CLI_HOLD_SEATS) +
               cli_opt_given(c, CLI_HOLD_BEST);
    uint32_t *seats;

    if (ways != 1) {
        fprintf(stderr,
                "error: hold takes %s of --seat N, --seats N,N,.. and --best N (see "
                "boxoffice-cli hold --help)\n",
                ways == 0 ? "one" : "only one");
        return CLI_EXIT_USAGE;
    }
    if (cli_opt_given(c, CLI_HOLD_BEST)) {
        return cli_hold_best(c, r);
    }
    if (cli_opt_given(c, CLI_HOLD_SECTION) || cli_opt_given(c, CLI_HOLD_APART)) {
        fprintf(stderr, "error: --section and --apart choose the best available seats: they go "
                        "with --best N\n");
        return CLI_EXIT_USAGE;
    }
    if (!cli_opt_given(c, CLI_HOLD_SEATS)) {
        return CLI_EXIT_OK; /* --seat: the table filled seat_no */
    }
    if ((seats = calloc(CLI_HOLD_SEATS_MAX, sizeof(*seats))) == NULL) {
        fprintf(stderr, "error: out of memory\n");
        return CLI_EXIT_SERVICE;
    }
    if (cli_seat_list(cli_opt_str(c, CLI_HOLD_SEATS), seats, &r->n_seat_nos) != CLI_EXIT_OK) {
        free(seats);
        return CLI_EXIT_USAGE;
    }
    r->seat_nos = seats;
    *held = seats;
    return CLI_EXIT_OK;
}

/* ---- admin-venue --------------------------------------------------------------- */

/* cli_span_int reads the whole number of text[0..len) in lo..hi into *out: BO_OK or
 * BO_E_INVALID_ARGUMENT. */
static int cli_span_int(const char *text, size_t len, int64_t lo, int64_t hi, int64_t *out)
{
    char num[24];

    if (len == 0 || len >= sizeof(num)) {
        return BO_E_INVALID_ARGUMENT;
    }
    memcpy(num, text, len);
    num[len] = '\0';
    return cli_parse_int(num, lo, hi, out);
}

/* cli_venue_section reads spec "A:20x100:150000" into sec, its name copied into name.
 * CLI_EXIT_OK, or CLI_EXIT_USAGE after printing why. */
static int cli_venue_section(const char *spec, Boxoffice__V1__Section *sec,
                             char name[CLI_SECTION_NAME_MAX + 1])
{
    const char *colon = strchr(spec, ':');
    const char *x = colon != NULL ? strchr(colon + 1, 'x') : NULL;
    const char *colon2 = x != NULL ? strchr(x + 1, ':') : NULL;
    size_t len = colon != NULL ? (size_t)(colon - spec) : 0;
    int64_t rows = 0, per_row = 0, price = 0;

    for (size_t i = 0; i < len; i++) {
        if (!isalnum((unsigned char)spec[i])) {
            len = 0;
        }
    }
    if (len == 0 || len > CLI_SECTION_NAME_MAX || colon2 == NULL ||
        cli_span_int(colon + 1, (size_t)(x - colon - 1), 1, UINT32_MAX, &rows) != BO_OK ||
        cli_span_int(x + 1, (size_t)(colon2 - x - 1), 1, UINT32_MAX, &per_row) != BO_OK ||
        cli_parse_int(colon2 + 1, 0, INT64_MAX, &price) != BO_OK) {
        fprintf(stderr,
                "error: --section must be NAME:ROWSxSEATS:PRICE, like A:20x100:150000 (a name of "
                "1 to %d letters and digits, whole numbers), not '%s'\n",
                CLI_SECTION_NAME_MAX, spec);
        return CLI_EXIT_USAGE;
    }
    memcpy(name, spec, len);
    name[len] = '\0';
    boxoffice__v1__section__init(sec);
    sec->name = name;
    sec->rows = (uint32_t)rows;
    sec->seats_per_row = (uint32_t)per_row;
    sec->price = price;
    return CLI_EXIT_OK;
}

int cli_build_venue(const struct cli_ctx *c, ProtobufCMessage *req, void **held)
{
    Boxoffice__V1__CreateVenueRequest *r = (Boxoffice__V1__CreateVenueRequest *)req;
    size_t n = c->n_many;
    /* one block: the pointers, the sections, their names */
    char *block = calloc(n, sizeof(Boxoffice__V1__Section *) + sizeof(Boxoffice__V1__Section) +
                                CLI_SECTION_NAME_MAX + 1);
    Boxoffice__V1__Section **ptrs = (Boxoffice__V1__Section **)(void *)block;
    Boxoffice__V1__Section *secs = (Boxoffice__V1__Section *)(void *)(ptrs + n);
    char *names = (char *)(secs + n);

    if (block == NULL) {
        fprintf(stderr, "error: out of memory\n");
        return CLI_EXIT_SERVICE;
    }
    *held = block;
    for (size_t i = 0; i < n; i++) {
        if (cli_venue_section(c->many[i], &secs[i], names + i * (CLI_SECTION_NAME_MAX + 1)) !=
            CLI_EXIT_OK) {
            return CLI_EXIT_USAGE;
        }
        ptrs[i] = &secs[i];
    }
    r->sections = ptrs;
    r->n_sections = n;
    return CLI_EXIT_OK;
}
