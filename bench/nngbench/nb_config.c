/* nb_config: nngbench's option table and its checks (see nb_config.h). */
#include "nb_config.h"

#include "nb_jwt.h"

#include "bo_config.h"
#include "bo_error.h"
#include "boxoffice/client.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct bo_option nb_options[] = {
    BO_OPT_STR("rpc-url", struct nb_config, rpc_url, BO_DEFAULT_RPC_URL,
               "rpc address(es) of the service, comma-separated"),
    BO_OPT_STR("scenario", struct nb_config, scenario, "seats",
               "seats, tokens, flow, bigmap or arena"),
    BO_OPT_STR("type", struct nb_config, type, "load", "load, soak, stress or peak"),
    BO_OPT_NUM("quick", struct nb_config, quick, "0", 0, 1,
               "1 (or bare --quick): every duration shrinks to ~5 s"),
    BO_OPT_NUM("duration", struct nb_config, duration, "0", 0, 86400,
               "run this many seconds instead of the type's duration (0: the type's)"),
    BO_OPT_NUM("vus", struct nb_config, vus, "0", 0, 10000,
               "VUs (peak of the ramp for stress) instead of the type's (0: the type's)"),
    BO_OPT_SECRET("admin-key", struct nb_config, admin_key, "",
                  "admin key: raises admission, turns the rate limits off for the run, creates the "
                  "flow's concert"),
    BO_OPT_STR("json", struct nb_config, json, "", "write the summary as JSON to this file"),
    BO_OPT_STR("influx", struct nb_config, influx, "",
               "InfluxDB v1 base URL (http://127.0.0.1:8086): points once a second"),
    BO_OPT_STR("influx-db", struct nb_config, influx_db, "boxoffice", "InfluxDB database"),
    BO_OPT_STR("run-id", struct nb_config, run_id, "", "tag run=<id> on points (default: time)"),
    BO_OPT_NUM("concert", struct nb_config, concert, "0", 0, INT64_MAX,
               "concert to use (0: seats 1, tokens 1..3, flow a new one with the admin key)"),
    BO_OPT_NUM("timeout-ms", struct nb_config, timeout_ms, "10000", 1, 600000,
               "a call taking longer fails (TIMEOUT)"),
    BO_OPT_NUM("flow-schedules", struct nb_config, flow_schedules, "40", 1, 10000,
               "dates (50 seats each) the flow creates, 40 per concert"),
    BO_OPT_NUM("arena-dates", struct nb_config, arena_dates, "0", 0, 10000,
               "dates (20,000 seats each) the arena creates, 40 per concert (0: enough for "
               "the plan's VUs at 100 purchases/s each, at most 2,000/s, x 2 seats x 1.5)"),
    BO_OPT_STR("section", struct nb_config, section, "A",
               "bigmap: the section (2,000 seats) whose seats every lookup asks for"),
    BO_OPT_NUM("compact", struct nb_config, compact, "0", 0, 1,
               "1 (or bare --compact): bigmap asks for the compact map (a letter a seat)"),
    BO_OPT_SECRET("jwt-secret", struct nb_config, jwt_secret, "",
                  "HS256 key of operator identity tokens (the text of var/jwt.secret): each "
                  "virtual user proves its user with a JWT minted with it"),
    BO_OPT_NUM("mint-jwts", struct nb_config, mint_jwts, "0", 0, 100000000,
               "only write the JWTs of users 1..N to --out (for wrk), valid --duration "
               "seconds and a margin, then exit"),
    BO_OPT_STR("out", struct nb_config, out, "", "file --mint-jwts writes"),
    BO_OPT_NUM("freshness", struct nb_config, freshness, "0", 0, 100000,
               "only measure how soon a seat change shows through every --rpc-url address "
               "(the first one writes) and --bridge-url: this many holds and releases"),
    BO_OPT_STR("bridge-url", struct nb_config, bridge_url, "",
               "the bridge (http://HOST:PORT) --freshness also reads through"),
    BO_OPT_NUM("async", struct nb_config, async, "0", 0, 1,
               "1 (or bare --async): seats VUs run as NNG contexts on one socket instead of "
               "threads, so the load generator stays light"),
    BO_OPT_NUM("push", struct nb_config, push, "0", 0, 100000,
               "only hold this many push connections (SSE) of waiting users open for "
               "--duration seconds (needs --admin-key)"),
    BO_OPT_STR("push-url", struct nb_config, push_url, "http://127.0.0.1:8081",
               "the push listener --push connects to"),
    BO_OPT_NUM("slow", struct nb_config, slow, "0", 0, 20000,
               "only measure a normal client's seat maps through --http-url beside this many "
               "slow clients (from 127.0.0.2-7) for --duration seconds (default 60, --quick "
               "15) and as long alone, alternating in rounds"),
    BO_OPT_STR("http-url", struct nb_config, http_url, "http://127.0.0.1:8080",
               "the edge --slow measures through (a 127.x.x.x address)"),
    BO_OPT_NUM("slow-interval-ms", struct nb_config, slow_interval_ms, "2000", 10, 60000,
               "a slow client sends one byte of its head or body this often"),
};
#define NB_NOPTIONS (sizeof(nb_options) / sizeof(nb_options[0]))

static const char *const nb_scenarios[NB_SCENARIOS] = {"seats", "tokens", "flow", "bigmap",
                                                       "arena"};
static const char *const nb_types[] = {"load", "soak", "stress", "peak"};

const char *nb_scenario_name(int scenario)
{
    return scenario >= 0 && scenario < NB_SCENARIOS ? nb_scenarios[scenario] : "?";
}

const char *nb_type_name(int type)
{
    return type >= 0 && type < 4 ? nb_types[type] : "?";
}

static int nb_lookup(const char *const *names, int n, const char *name, int *out)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0) {
            *out = i;
            return BO_OK;
        }
    }
    return BO_E_INVALID_ARGUMENT;
}

int nb_config_load(struct nb_config *cfg, int argc, char **argv, int *help, char *err,
                   size_t errlen)
{
    char **args = calloc((size_t)argc + 1, sizeof(char *));
    char **rest = calloc((size_t)argc + 1, sizeof(char *));
    int nrest = 0, rc;

    if (args == NULL || rest == NULL) {
        free(args);
        free(rest);
        snprintf(err, errlen, "out of memory");
        return BO_E_NOMEM;
    }
    /* A bare --quick, --async or --compact is a switch: it becomes --quick=1 for the table. */
    for (int i = 0; i < argc; i++) {
        args[i] = strcmp(argv[i], "--quick") == 0     ? "--quick=1"
                  : strcmp(argv[i], "--async") == 0   ? "--async=1"
                  : strcmp(argv[i], "--compact") == 0 ? "--compact=1"
                                                      : argv[i];
    }
    memset(cfg, 0, sizeof(*cfg));
    rc = bo_config_load(nb_options, NB_NOPTIONS, cfg, argc, args, rest, &nrest, help, err, errlen);
    if (rc == BO_OK && nrest > 0) {
        snprintf(err, errlen, "unexpected argument '%s' (see --help)", rest[0]);
        rc = BO_E_INVALID_ARGUMENT;
    }
    free(args);
    free(rest);
    if (rc != BO_OK || *help) {
        return rc;
    }
    if (nb_lookup(nb_scenarios, NB_SCENARIOS, cfg->scenario, &cfg->scenario_id) != BO_OK) {
        snprintf(err, errlen, "--scenario must be seats, tokens, flow, bigmap or arena, not '%s'",
                 cfg->scenario);
        return BO_E_INVALID_ARGUMENT;
    }
    if (nb_lookup(nb_types, 4, cfg->type, &cfg->type_id) != BO_OK) {
        snprintf(err, errlen, "--type must be load, soak, stress or peak, not '%s'", cfg->type);
        return BO_E_INVALID_ARGUMENT;
    }
    if (cfg->influx[0] != '\0' && strncmp(cfg->influx, "http://", 7) != 0) {
        snprintf(err, errlen, "--influx must be an http:// URL, not '%s'", cfg->influx);
        return BO_E_INVALID_ARGUMENT;
    }
    if (cfg->jwt_secret[0] == '\0') {
        snprintf(err, errlen,
                 "--jwt-secret (or BOXOFFICE_JWT_SECRET) is needed: the operator identity "
                 "secret of the service, the text of var/jwt.secret");
        return BO_E_INVALID_ARGUMENT;
    }
    if (cfg->mint_jwts > 0 && cfg->out[0] == '\0') {
        snprintf(err, errlen, "--mint-jwts needs --out FILE");
        return BO_E_INVALID_ARGUMENT;
    }
    if (cfg->run_id[0] == '\0') {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(cfg->run_id, sizeof(cfg->run_id), "%Y%m%dT%H%M%SZ", &tm);
    }
    return BO_OK;
}

void nb_config_usage(FILE *out)
{
    fprintf(
        out,
        "Usage: boxoffice-nngbench [--rpc-url URLS] --scenario seats|tokens|flow|bigmap|arena\n"
        "         --type load|soak|stress|peak [--quick] [--duration S] [--vus N] [--async]\n"
        "         [--section S] [--compact] [--arena-dates N]\n"
        "         [--admin-key K] [--json FILE] [--influx URL] [--influx-db NAME]\n"
        "         [--run-id ID] [--concert C] [--jwt-secret KEY]\n"
        "       boxoffice-nngbench --mint-jwts N --out FILE [--duration S] [--jwt-secret KEY]\n"
        "       boxoffice-nngbench --freshness ROUNDS --rpc-url URL0,URL1,... [--bridge-url URL]\n"
        "         [--jwt-secret KEY] [--admin-key K] [--concert C] [--json FILE]\n"
        "       boxoffice-nngbench --push N --duration S --admin-key K [--push-url URL]\n"
        "         [--jwt-secret KEY] [--json FILE]\n"
        "       boxoffice-nngbench --slow N [--http-url URL] [--duration S] [--quick]\n"
        "         [--slow-interval-ms MS] [--jwt-secret KEY] [--admin-key K] [--json FILE]\n\n"
        "A load generator over boxoffice's NNG rpc channel. Each VU is a thread with its own\n"
        "session making closed-loop requests. Test types: load 100 VUs 60 s; soak 50 VUs\n"
        "180 s; stress ramps 0 -> 300 VUs over 300 s; peak 1000 VUs at once for 30 s.\n"
        "Scenarios: seats (ListSeats with an ACTIVE token per VU), tokens (IssueToken,\n"
        "every call a new entry: users 1..100000 join concerts of the run's own in turn with\n"
        "--admin-key, else concerts 1..3), flow (token -> ACTIVE -> dates -> seats -> hold ->\n"
        "charge -> pay, then invariants), bigmap (ListSeats of one 2,000-seat section of a\n"
        "venue date of its own), arena (the flow on venue dates of 20,000 seats, holding the\n"
        "best 2 seats together, then SOLD = 2 x payments). Every user proves who it is with an "
        "operator\n"
        "identity token (HS256 JWT, sub = its id) minted with --jwt-secret. With\n"
        "--admin-key, set-up raises admission and turns the rate limits off; they are\n"
        "restored after the run, also when SIGINT or SIGTERM ends it early.\n"
        "--mint-jwts N writes the tokens of users 1..N to --out instead, one a line (line u\n"
        "is user u's, padded with spaces to one width), valid --duration seconds plus %d.\n\n",
        NB_JWT_MARGIN_S);
    bo_config_usage(out, nb_options, NB_NOPTIONS);
    fprintf(out, "\nExit codes: 0 the run finished (whatever the failure rate), 1 set-up failed,\n"
                 "2 usage error, 3 the service did not answer at set-up, 130 interrupted.\n");
}
