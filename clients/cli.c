/* boxoffice-cli: global options, then one command (see cli.h). */
#include "cli.h"

#include "bo_config.h"
#include "bo_log.h"
#include "boxoffice/client.h"

#include <stdlib.h>
#include <string.h>

static const struct bo_option cli_options[] = {
    BO_OPT_STR("rpc-url", struct cli_global, rpc_url, BO_DEFAULT_RPC_URL,
               "rpc address(es) of the service, comma-separated"),
    BO_OPT_NUM("timeout-ms", struct cli_global, timeout_ms, "5000", 1, 600000,
               "give up on a call after this many milliseconds"),
    BO_OPT_SECRET("session", struct cli_global, session, "",
                  "who calls: a session from 'login' or an operator identity token (JWT), sent "
                  "with every call"),
};
#define CLI_NOPTIONS (sizeof(cli_options) / sizeof(cli_options[0]))

static void cli_usage(FILE *out)
{
    fprintf(out, "Usage: boxoffice-cli [--rpc-url URLS] [--timeout-ms N] [--session PROOF] [--json]"
                 " COMMAND [options]\n\n");
    cli_commands_usage(out);
    fprintf(out, "\n");
    bo_config_usage(out, cli_options, CLI_NOPTIONS);
    fprintf(out, "  --%-22s %-30s %s\n", "json", "", "print one JSON object per line");
    fprintf(out, "\nSign in with 'login' (or sign up with 'signup') and pass the session it prints "
                 "as --session\nor BOXOFFICE_SESSION: taking a place in a queue, holds, "
                 "payments, refunds, balance and\ncharges are made as its user.\n");
    fprintf(out, "\n'boxoffice-cli COMMAND --help' describes a command. Exit codes: 0 ok, "
                 "1 service error, 2 usage error, 3 service unreachable or timed out.\n");
}

/* cli_takes_value tells whether a global option given as "--name" (no '=') eats the next
 * argument. */
static int cli_takes_value(const char *arg)
{
    for (size_t i = 0; i < CLI_NOPTIONS; i++) {
        if (strncmp(arg, "--", 2) == 0 && strcmp(arg + 2, cli_options[i].name) == 0) {
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct cli_global g;
    char **gargv = calloc((size_t)argc + 1, sizeof(char *));
    char **rest = calloc((size_t)argc + 1, sizeof(char *));
    char err[256];
    int gargc = 1, nrest = 0, help = 0, cmd = argc, rc;

    if (gargv == NULL || rest == NULL) {
        fprintf(stderr, "error: out of memory\n");
        free(gargv);
        free(rest);
        return CLI_EXIT_SERVICE;
    }
    memset(&g, 0, sizeof(g));
    bo_log_setup("boxoffice-cli", BO_LOG_ERROR);
    gargv[0] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            g.json = 1;
        } else if (argv[i][0] != '-') {
            cmd = i;
            break;
        } else {
            gargv[gargc++] = argv[i];
            if (cli_takes_value(argv[i]) && i + 1 < argc) {
                gargv[gargc++] = argv[++i];
            }
        }
    }
    rc = bo_config_load(cli_options, CLI_NOPTIONS, &g, gargc, gargv, rest, &nrest, &help, err,
                        sizeof(err));
    free(gargv);
    free(rest);
    if (rc != 0) {
        fprintf(stderr, "error: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    if (help) {
        cli_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (cmd >= argc) {
        cli_usage(stderr);
        fprintf(stderr, "\nerror: no command given\n");
        return CLI_EXIT_USAGE;
    }
    return cli_command_run(&g, argc - cmd, argv + cmd);
}
