/*
 * nb_slow_client: the normal client of nb_slow (issue 10's slow clients) — one kept-alive
 * HTTP/1.1 connection from 127.0.0.1 to the edge, its queue token, and its closed loop of
 * seat maps measured per phase of the run; and the dial both it and the slow clients use.
 *
 * The loop runs in a thread of its own, the only writer of the counters; the driver (nb_slow)
 * switches the phase its requests count in and reads the counters (relaxed atomics).
 */
#ifndef NB_SLOW_CLIENT_H
#define NB_SLOW_CLIENT_H

#include "nb_report.h"
#include "nb_stats.h"

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define NB_SLOW_TOKEN_MAX 512

/* The phases a normal request counts in: alone, while the slow clients open, beside them. */
enum nb_slow_phase { NB_SLOW_BASELINE, NB_SLOW_OPENING, NB_SLOW_ATTACK, NB_SLOW_PHASES };

/* The normal client (see top). Zeroed, then nb_slow_normal_init. */
struct nb_slow_normal {
    struct sockaddr_in to;
    char token[NB_SLOW_TOKEN_MAX];
    int fd;    /* its kept-alive connection, -1 between */
    char *buf; /* the last answer */
    _Atomic int phase;
    atomic_bool stop;
    struct nb_vu_stats stats[NB_SLOW_PHASES];
    _Atomic uint64_t status_errors[NB_SLOW_PHASES]; /* answered >= 400 */
    _Atomic uint64_t socket_errors[NB_SLOW_PHASES]; /* no answer: connect, send, read, time */
    _Atomic uint64_t connections;                   /* it opened */
};

/* What the normal client measured in one phase. */
struct nb_slow_figures {
    struct nb_totals t;
    struct nb_latency l;
    double seconds, rate;
    uint64_t status_errors, unanswered;
};

/* nb_slow_dial opens a TCP connection from 127.0.0.<from> to to: non-blocking (the connect
 * may still be under way: *pending set) or blocking with 10 s send and receive timeouts;
 * returns the socket (the caller closes it), or -1 when it cannot. */
int nb_slow_dial(const struct sockaddr_in *to, unsigned from, int nonblock, int *pending);

/* nb_slow_phase_name returns "baseline", "opening" or "attack". */
const char *nb_slow_phase_name(int phase);

/* nb_slow_normal_init readies n (zeroed by the caller) to ask to; BO_OK or BO_E_NOMEM. Undo
 * with nb_slow_normal_fini, also after a failure. */
__attribute__((warn_unused_result)) int nb_slow_normal_init(struct nb_slow_normal *n,
                                                            const struct sockaddr_in *to);

/* nb_slow_normal_fini closes n's connection and frees its buffer; safe on a zeroed n. */
void nb_slow_normal_fini(struct nb_slow_normal *n);

/*
 * nb_slow_normal_token gives n a new queue token of user_id at concert through the edge (its
 * identity token minted with secret), ending a live one an earlier run left first (it could
 * lapse mid-run), and waits until it is ACTIVE. Returns BO_OK, BO_E_UNAVAILABLE when the edge
 * did not answer, or another code after saying why on stderr.
 */
__attribute__((warn_unused_result)) int nb_slow_normal_token(struct nb_slow_normal *n,
                                                             const char *secret, uint64_t user_id,
                                                             uint64_t concert);

/* nb_slow_normal_run is the normal client's thread (arg: the nb_slow_normal): seat maps of
 * dates 1..5 in a closed loop until stop, each counted in the phase it started in (after a
 * request with no answer at all it pauses 10 ms). */
void *nb_slow_normal_run(void *arg);

/* nb_slow_figures_of sums phase p of n over seconds into f and prints its line to stdout. */
void nb_slow_figures_of(struct nb_slow_normal *n, int p, double seconds, struct nb_slow_figures *f);

/* nb_slow_figures_json adds f to o as the object name. */
void nb_slow_figures_json(cJSON *o, const char *name, const struct nb_slow_figures *f);

#endif
