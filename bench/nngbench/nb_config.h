/*
 * nb_config: nngbench's options, through the one configuration table of
 * proto/bo_config.h (default, then BOXOFFICE_* environment, then --flag), and
 * their checked, parsed form.
 */
#ifndef NB_CONFIG_H
#define NB_CONFIG_H

#include <stdint.h>
#include <stdio.h>

enum nb_scenario {
    NB_SCENARIO_SEATS,
    NB_SCENARIO_TOKENS,
    NB_SCENARIO_FLOW,
    NB_SCENARIO_BIGMAP, /* issue 11: one 2,000-seat section's map */
    NB_SCENARIO_ARENA,  /* issue 11: the flow on a venue with best available */
    NB_SCENARIOS
};
enum nb_type { NB_TYPE_LOAD, NB_TYPE_SOAK, NB_TYPE_STRESS, NB_TYPE_PEAK };

/* Exit codes of nngbench. */
enum nb_exit {
    NB_EXIT_OK = 0,            /* the run finished, whatever its failure rate */
    NB_EXIT_FAILED = 1,        /* set-up failed for another reason (e.g. tokens never ACTIVE) */
    NB_EXIT_USAGE = 2,         /* bad option */
    NB_EXIT_UNREACHABLE = 3,   /* the service did not answer at set-up */
    NB_EXIT_INTERRUPTED = 130, /* SIGINT or SIGTERM ended the run early (summary printed) */
};

/* Options as read from the table (strings and int64 fields, see bo_config.h). */
struct nb_config {
    char rpc_url[1024];
    char scenario[16];
    char type[16];
    int64_t quick;
    int64_t duration; /* seconds; 0: the type's own */
    int64_t vus;      /* 0: the type's own */
    char admin_key[128];
    char json[512];
    char influx[256];
    char influx_db[64];
    char run_id[64];
    int64_t concert; /* 0: seats and tokens use 1..3 as described, flow creates one */
    int64_t timeout_ms;
    int64_t flow_schedules;
    int64_t arena_dates;  /* arena: dates of 20,000 seats to create; 0: sized from the plan */
    char section[24];     /* bigmap: the section looked up */
    int64_t compact;      /* bigmap: 1 asks for the compact map (one letter a seat) */
    char jwt_secret[512]; /* HS256 key of operator identity tokens (var/jwt.secret) */
    int64_t mint_jwts;    /* > 0: only write the tokens of users 1..N to out, then exit */
    char out[512];
    int64_t freshness;        /* > 0: measure how soon seat changes show, this many rounds */
    char bridge_url[256];     /* --freshness also reads through the bridge here */
    int64_t async;            /* 1: seats VUs as NNG contexts, not threads (nb_async.h) */
    int64_t push;             /* > 0: hold this many push connections open (nb_push.h) */
    char push_url[256];       /* the push listener */
    int64_t slow;             /* > 0: this many slow clients against http_url (nb_slow.h) */
    char http_url[256];       /* the edge --slow measures through */
    int64_t slow_interval_ms; /* a slow client sends a byte this often */
    /* parsed */
    int scenario_id;
    int type_id;
};

/*
 * nb_config_load fills cfg from defaults, environment and argv. Returns 0 with *help set when
 * --help was asked; BO_E_INVALID_ARGUMENT with a sentence in err for a bad option.
 */
__attribute__((warn_unused_result)) int nb_config_load(struct nb_config *cfg, int argc, char **argv,
                                                       int *help, char *err, size_t errlen);

/* nb_config_usage prints --help. */
void nb_config_usage(FILE *out);

/* nb_scenario_name and nb_type_name return "seats", "load", ... */
const char *nb_scenario_name(int scenario);
const char *nb_type_name(int type);

#endif
