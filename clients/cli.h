/*
 * cli: boxoffice-cli, a command line over libboxoffice.
 *
 * cli.c reads the global options (--rpc-url, --timeout-ms, --session, --json)
 * from the bo_config table and hands the command and its arguments to
 * cli_run.c, which finds the command in the table (cli_table.c), parses its
 * options, makes one call as the caller --session proves and prints the
 * answer (cli_print.c); 'watch' subscribes instead (cli_watch.c). Exit codes are part of the
 * interface: scripts and the tests rely on them.
 */
#ifndef CLI_H
#define CLI_H

#include "boxoffice/client.h"

#include <stdint.h>
#include <stdio.h>

/* Process exit codes of boxoffice-cli. */
enum cli_exit {
    CLI_EXIT_OK = 0,          /* the call succeeded (or help was asked for) */
    CLI_EXIT_SERVICE = 1,     /* the service answered with an error */
    CLI_EXIT_USAGE = 2,       /* unknown command, missing or bad option */
    CLI_EXIT_UNREACHABLE = 3, /* the service did not answer (unreachable, timeout) */
};

/* Options that apply to every command. */
struct cli_global {
    char rpc_url[1024];             /* comma-separated rpc addresses of the service instances */
    int64_t timeout_ms;             /* per call */
    char session[BO_PROOF_MAX + 1]; /* proof sent with every call: a session or a JWT; "" none */
    int json;                       /* print one JSON object per line instead of text */
};

/* cli_commands_usage prints the list of commands with a line of help each. */
void cli_commands_usage(FILE *out);

/*
 * cli_command_run runs the command argv[0] with its arguments argv[1..argc): parses its
 * options (printing its help on --help), calls the service at g->rpc_url and prints the
 * answer to stdout, or an error line to stderr. Returns an enum cli_exit code.
 */
int cli_command_run(const struct cli_global *g, int argc, char **argv);

#endif
