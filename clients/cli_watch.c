/*
 * cli_watch: boxoffice-cli's 'watch', a subscriber to the admission events.
 *
 * It dials the events address of every instance and prints one line per event
 * (text, or one JSON object) until SIGINT or SIGTERM, which end it with exit
 * code 0. Pub/sub may drop or repeat events: an ADMITTED event whose number
 * was already printed is dropped (a new leader announces its predecessor's
 * last admissions again), and a gap in a concert's admission numbers is
 * reported on stderr so the user knows to read the tokens again.
 */
#include "cli_command.h"

#include "cli_print.h"

#include "bo_enum.h"
#include "bo_time.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

/* How long watch waits for an event before it looks for a stop signal again. */
#define CLI_WATCH_POLL_MS 200

/* The last admission number seen per concert, to drop repeats and report gaps. */
struct cli_watch_seen {
    uint64_t concert_id;
    uint64_t last;
};

struct cli_watch {
    struct cli_watch_seen *seen; /* owned */
    size_t nseen;
    int check_gaps; /* only a whole concert's events are consecutive, not one user's */
};

/* cli_watch_gap reports on stderr that admissions from..to of concert were not received. */
static void cli_watch_gap(const struct cli_ctx *c, uint64_t concert, uint64_t from, uint64_t to)
{
    if (c->g.json) {
        cJSON *o = cli_json_object();
        cJSON *gap = cJSON_AddObjectToObject(o, "gap");
        cJSON_AddNumberToObject(gap, "concertId", (double)concert);
        cJSON_AddNumberToObject(gap, "from", (double)from);
        cJSON_AddNumberToObject(gap, "to", (double)to);
        (void)cli_json_emit(stderr, o);
    } else {
        fprintf(stderr,
                "gap: concert %" PRIu64 ": admissions %" PRIu64 "..%" PRIu64
                " were not received; read the tokens with 'status' to resynchronise\n",
                concert, from, to);
    }
    fflush(stderr);
}

/*
 * cli_watch_admitted records an ADMITTED event's sequence: 0 to print it, 1 when it repeats
 * one already printed. Reports a gap in the concert's sequence on stderr.
 */
static int cli_watch_admitted(const struct cli_ctx *c, struct cli_watch *w,
                              const Boxoffice__V1__AdmissionEvent *e)
{
    struct cli_watch_seen *s = NULL;

    for (size_t i = 0; i < w->nseen && s == NULL; i++) {
        if (w->seen[i].concert_id == e->concert_id) {
            s = &w->seen[i];
        }
    }
    if (s == NULL) {
        struct cli_watch_seen *grown = realloc(w->seen, (w->nseen + 1) * sizeof(*grown));
        if (grown == NULL) {
            return 0; /* without memory for it, print everything and check nothing */
        }
        w->seen = grown;
        s = &w->seen[w->nseen++];
        s->concert_id = e->concert_id;
        s->last = e->sequence;
        return 0;
    }
    if (e->sequence <= s->last) {
        return 1;
    }
    if (w->check_gaps && e->sequence > s->last + 1) {
        cli_watch_gap(c, e->concert_id, s->last + 1, e->sequence - 1);
    }
    s->last = e->sequence;
    return 0;
}

/* cli_watch_print prints one event as a line: received time and the event, or JSON. */
static void cli_watch_print(const struct cli_ctx *c, const Boxoffice__V1__AdmissionEvent *e)
{
    const char *kind = bo_enum_name(&boxoffice__v1__event_kind__descriptor, e->kind);
    char now[40], buf[40];

    if (c->g.json) {
        (void)cli_json_emit(stdout, cli_json_fields(&e->base));
    } else {
        bo_time_format_ms(bo_time_now_ms(), now, sizeof(now));
        printf("%s %s concert %" PRIu64 " user %" PRIu64 " token %s", now, kind, e->concert_id,
               e->user_id, e->token_id != NULL ? e->token_id : "-");
        if (e->kind == BOXOFFICE__V1__EVENT_KIND__EVENT_ADMITTED) {
            printf(" admission %" PRIu64 " active until %s", e->sequence,
                   cli_time(e->active_until_ms, buf, sizeof(buf)));
        } else if (e->kind == BOXOFFICE__V1__EVENT_KIND__EVENT_POSITION) {
            printf(" position %" PRIu64 " eta %" PRIu32 "s", e->position, e->eta_seconds);
        }
        printf("\n");
    }
    /* One line per event as it comes, also into a pipe. */
    fflush(stdout);
}

/* cli_watch_stopped tells whether SIGINT or SIGTERM (blocked, so pending) has arrived. */
static int cli_watch_stopped(const sigset_t *stop)
{
    struct timespec zero = {0, 0};

    return sigtimedwait(stop, NULL, &zero) > 0;
}

int cli_watch_run(struct cli_ctx *c)
{
    struct cli_watch w = {NULL, 0, 0};
    struct bo_subscription *sub = NULL;
    const char *urls = cli_opt_given(c, CLI_WATCH_EVENTS_URL) ? cli_opt_str(c, CLI_WATCH_EVENTS_URL)
                                                              : BO_DEFAULT_EVENTS_URL;
    uint64_t user = (uint64_t)cli_opt_num(c, CLI_WATCH_USER);
    sigset_t stop;
    int rc, exit_code = CLI_EXIT_OK;

    /* Blocked before NNG starts its threads, so the signals stay pending for the loop below
     * to take: stopping is the normal end of a watch, with exit code 0. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop, NULL);
    rc = bo_subscribe(urls, (uint64_t)cli_opt_num(c, CLI_WATCH_CONCERT), user, &sub);
    if (rc != BO_OK) {
        fprintf(stderr, "error: %s: cannot use --events-url '%s': %s\n", bo_error_name(rc), urls,
                bo_error_message(rc));
        return rc == BO_E_INVALID_ARGUMENT ? CLI_EXIT_USAGE : cli_exit_for(rc);
    }
    w.check_gaps = user == 0;
    while (!cli_watch_stopped(&stop)) {
        Boxoffice__V1__AdmissionEvent *e = NULL;
        rc = bo_subscription_next(sub, CLI_WATCH_POLL_MS, &e);
        if (rc == BO_E_TIMEOUT) {
            continue;
        }
        if (rc != BO_OK) {
            cli_error(c, rc, "the subscription ended");
            exit_code = cli_exit_for(rc);
            break;
        }
        if (e->kind != BOXOFFICE__V1__EVENT_KIND__EVENT_ADMITTED || !cli_watch_admitted(c, &w, e)) {
            cli_watch_print(c, e);
        }
        boxoffice__v1__admission_event__free_unpacked(e, NULL);
    }
    /* Closing can hang in libnng 1.5.2 (nanomsg/nng#1543): with the signals unblocked again,
     * a second Ctrl-C or SIGTERM still ends the process. */
    sigprocmask(SIG_UNBLOCK, &stop, NULL);
    bo_subscription_close(sub);
    free(w.seen);
    return exit_code;
}
