/*
 * cli_run: running one command of boxoffice-cli (see cli.h, cli_command.h).
 *
 * A command's options are parsed and checked from its table row before
 * anything is dialled, so a usage error never waits on the network. Then
 * every command but 'watch' goes down the one call path: fill the request
 * from the options (each names its field; the generated descriptors confirm
 * it), bo_call the rpc (its request and reply types come from the generated
 * service descriptor), check the status, print the reply (cli_print.c chooses
 * the printer by its type), free.
 *
 * The file is layered low to high: options, help, errors and exit codes, the
 * call path, the entry point.
 */
#include "cli_command.h"

#include "cli_print.h"

#include "bo_time.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* What parsing a command's options returns when it printed the command's help instead: the
 * command then ends with CLI_EXIT_OK and makes no call. */
#define CLI_HELP_SHOWN (-1)

/* ---- options of a command ------------------------------------------------- */

int cli_opt_given(const struct cli_ctx *c, int i)
{
    return c->text[i] != NULL;
}

char *cli_opt_str(const struct cli_ctx *c, int i)
{
    return c->text[i] != NULL ? c->text[i] : (char *)"";
}

int64_t cli_opt_num(const struct cli_ctx *c, int i)
{
    return c->text[i] != NULL ? c->num[i] : 0;
}

/* cli_nargs counts cmd's options: the entries of its args up to the first without a name. */
static int cli_nargs(const struct cli_command *cmd)
{
    int n = 0;

    while (n < CLI_MAX_ARGS && cmd->args[n].name != NULL) {
        n++;
    }
    return n;
}

/* cli_arg_index finds option name (len bytes) among cmd's; -1 if it has none. */
static int cli_arg_index(const struct cli_command *cmd, const char *name, size_t len)
{
    for (int i = 0; i < cli_nargs(cmd); i++) {
        if (strlen(cmd->args[i].name) == len && strncmp(cmd->args[i].name, name, len) == 0) {
            return i;
        }
    }
    return -1;
}

int cli_parse_int(const char *text, int64_t lo, int64_t hi, int64_t *out)
{
    char *end = NULL;
    long long v;

    if (*text == '\0' || isspace((unsigned char)*text)) {
        return BO_E_INVALID_ARGUMENT;
    }
    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi) {
        return BO_E_INVALID_ARGUMENT;
    }
    *out = (int64_t)v;
    return BO_OK;
}

/* cli_arg_convert checks and converts option i's text into c->num[i]: CLI_EXIT_OK, or
 * CLI_EXIT_USAGE after printing why. */
static int cli_arg_convert(struct cli_ctx *c, int i)
{
    const struct cli_arg *a = &c->cmd->args[i];
    const char *t = c->text[i];

    switch (a->type) {
    case CLI_ARG_ID:
        if (cli_parse_int(t, 1, INT64_MAX, &c->num[i]) != BO_OK) {
            fprintf(stderr, "error: --%s must be a whole number of at least 1, not '%s'\n", a->name,
                    t);
            return CLI_EXIT_USAGE;
        }
        return CLI_EXIT_OK;
    case CLI_ARG_U32:
        if (cli_parse_int(t, 0, UINT32_MAX, &c->num[i]) != BO_OK) {
            fprintf(stderr, "error: --%s must be a whole number from 0 to %" PRIu32 ", not '%s'\n",
                    a->name, UINT32_MAX, t);
            return CLI_EXIT_USAGE;
        }
        return CLI_EXIT_OK;
    case CLI_ARG_INT:
        if (cli_parse_int(t, INT64_MIN, INT64_MAX, &c->num[i]) != BO_OK) {
            fprintf(stderr, "error: --%s must be a whole number, not '%s'\n", a->name, t);
            return CLI_EXIT_USAGE;
        }
        return CLI_EXIT_OK;
    case CLI_ARG_WHEN:
    case CLI_ARG_TIME:
        if (a->type == CLI_ARG_WHEN && strcmp(t, "now") == 0) {
            c->num[i] = 0;
            return CLI_EXIT_OK;
        }
        if (bo_time_parse_rfc3339(t, &c->num[i]) != BO_OK) {
            fprintf(stderr,
                    "error: --%s must be an RFC 3339 time like 2026-12-24T19:00:00Z%s, not '%s'\n",
                    a->name, a->type == CLI_ARG_WHEN ? " or now" : "", t);
            return CLI_EXIT_USAGE;
        }
        return CLI_EXIT_OK;
    default:
        return CLI_EXIT_OK;
    }
}

/* cli_command_usage prints cmd's help: its synopsis, summary and options. */
static void cli_command_usage(FILE *out, const struct cli_command *cmd)
{
    int nargs = cli_nargs(cmd);
    char flag[64];

    fprintf(out, "Usage: boxoffice-cli [global options] %s", cmd->name);
    for (int i = 0; i < nargs; i++) {
        const struct cli_arg *a = &cmd->args[i];
        if (a->type == CLI_ARG_FLAG) {
            fprintf(out, " [--%s]", a->name);
        } else {
            fprintf(out, a->required ? " --%s %s" : " [--%s %s]", a->name, a->metavar);
        }
        if (a->type == CLI_ARG_MANY) {
            fprintf(out, " [--%s %s ...]", a->name, a->metavar);
        }
    }
    fprintf(out, "\n\n%s.\n", cmd->summary);
    if (nargs > 0) {
        fprintf(out, "\nOptions:\n");
    }
    for (int i = 0; i < nargs; i++) {
        const struct cli_arg *a = &cmd->args[i];
        snprintf(flag, sizeof(flag), "--%s%s%s", a->name, a->type == CLI_ARG_FLAG ? "" : " ",
                 a->type == CLI_ARG_FLAG ? "" : a->metavar);
        fprintf(out, "  %-24s %s", flag, a->help);
        if (a->required) {
            fprintf(out, " (required)");
        }
        if (a->type == CLI_ARG_MANY) {
            fprintf(out, " (repeat for more)");
        }
        if (a->env != NULL) {
            fprintf(out, " [env %s]", a->env);
        }
        fputc('\n', out);
    }
    fprintf(out, "  %-24s %s\n", "--json", "print one JSON object per line");
}

/* cli_arg_value sets option k's value to v (borrowed from argv): the last one given wins, and
 * a CLI_ARG_MANY option keeps every value in c->many (its text is the first). CLI_EXIT_OK, or
 * CLI_EXIT_USAGE after printing why. */
static int cli_arg_value(struct cli_ctx *c, int k, char *v)
{
    const struct cli_arg *a = &c->cmd->args[k];

    if (a->type == CLI_ARG_MANY) {
        if (c->n_many >= CLI_MAX_MANY) {
            fprintf(stderr, "error: --%s is given more than %d times\n", a->name, CLI_MAX_MANY);
            return CLI_EXIT_USAGE;
        }
        c->many[c->n_many++] = v;
        if (c->text[k] != NULL) {
            return CLI_EXIT_OK; /* the first value stays the option's text */
        }
    }
    c->text[k] = v;
    return CLI_EXIT_OK;
}

/* cli_args_read takes the command's options from argv[1..argc) into c->text (borrowed from
 * argv). Returns CLI_EXIT_OK to go on, CLI_EXIT_USAGE after printing why, or CLI_HELP_SHOWN. */
static int cli_args_read(struct cli_ctx *c, int argc, char **argv)
{
    const struct cli_command *cmd = c->cmd;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cli_command_usage(stdout, cmd);
            return CLI_HELP_SHOWN;
        }
        if (strcmp(a, "--json") == 0) {
            c->g.json = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            fprintf(stderr,
                    "error: unexpected argument '%s' for %s (see boxoffice-cli %s --help)\n", a,
                    cmd->name, cmd->name);
            return CLI_EXIT_USAGE;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
        int k = cli_arg_index(cmd, name, len);
        if (k < 0) {
            fprintf(stderr, "error: unknown option '%.*s' for %s (see boxoffice-cli %s --help)\n",
                    (int)len + 2, a, cmd->name, cmd->name);
            return CLI_EXIT_USAGE;
        }
        if (cmd->args[k].type == CLI_ARG_FLAG) {
            if (eq != NULL) {
                fprintf(stderr, "error: option --%s takes no value\n", cmd->args[k].name);
                return CLI_EXIT_USAGE;
            }
            c->text[k] = "1";
        } else if (eq == NULL && i + 1 >= argc) {
            fprintf(stderr, "error: option --%s needs a value (%s)\n", cmd->args[k].name,
                    cmd->args[k].metavar);
            return CLI_EXIT_USAGE;
        } else if (cli_arg_value(c, k, eq != NULL ? argv[i] + (eq + 1 - a) : argv[++i]) !=
                   CLI_EXIT_OK) {
            return CLI_EXIT_USAGE;
        }
    }
    return CLI_EXIT_OK;
}

/*
 * cli_args_parse reads the command's options from argv[1..argc), then the environment for
 * those not given, into c, and checks and converts every value. Returns CLI_EXIT_OK to go on,
 * CLI_EXIT_USAGE after printing why, or CLI_HELP_SHOWN.
 */
static int cli_args_parse(struct cli_ctx *c, int argc, char **argv)
{
    const struct cli_command *cmd = c->cmd;
    int rc = cli_args_read(c, argc, argv);

    if (rc != CLI_EXIT_OK) {
        return rc;
    }
    for (int k = 0; k < cli_nargs(cmd); k++) {
        const struct cli_arg *a = &cmd->args[k];
        if (c->text[k] == NULL && a->env != NULL) {
            char *v = getenv(a->env);
            if (v != NULL && *v != '\0') {
                c->text[k] = v;
            }
        }
        if (c->text[k] == NULL) {
            if (a->required) {
                fprintf(stderr, "error: %s needs --%s %s%s%s (see boxoffice-cli %s --help)\n",
                        cmd->name, a->name, a->metavar, a->env != NULL ? " or " : "",
                        a->env != NULL ? a->env : "", cmd->name);
                return CLI_EXIT_USAGE;
            }
            continue;
        }
        if (cli_arg_convert(c, k) != CLI_EXIT_OK) {
            return CLI_EXIT_USAGE;
        }
    }
    return CLI_EXIT_OK;
}

/* ---- errors and exit codes ------------------------------------------------- */

int cli_exit_for(int err)
{
    if (err == BO_E_TIMEOUT || err == BO_E_UNAVAILABLE) {
        return CLI_EXIT_UNREACHABLE;
    }
    return CLI_EXIT_SERVICE;
}

/* What an error line tells besides its code and message: when to try again (seconds, 0 for
 * not said) and the seats it concerns (SEAT_TAKEN, SEAT_NOT_FOUND: n_seat_nos of seat_nos). */
struct cli_error_more {
    uint32_t retry_after;
    const uint32_t *seat_nos;
    size_t n_seat_nos;
};

/* cli_error_seats prints " (seats 3, 4)" for the seats an error concerns, nothing for none. */
static void cli_error_seats(const struct cli_error_more *more)
{
    for (size_t i = 0; i < more->n_seat_nos; i++) {
        fprintf(stderr, "%s%" PRIu32,
                i == 0 ? (more->n_seat_nos > 1 ? " (seats " : " (seat ") : ", ", more->seat_nos[i]);
    }
    if (more->n_seat_nos > 0) {
        fputc(')', stderr);
    }
}

/* cli_error_print prints err with message (NULL or "" for the code's own) and what more tells
 * (NULL: nothing). */
static void cli_error_print(const struct cli_ctx *c, int err, const char *message,
                            const struct cli_error_more *more)
{
    static const struct cli_error_more none = {0, NULL, 0};
    const char *msg = message != NULL && *message != '\0' ? message : bo_error_message(err);

    more = more != NULL ? more : &none;
    if (c->g.json) {
        cJSON *o = cli_json_object();
        cJSON *e = cJSON_AddObjectToObject(o, "error");
        cli_json_str(e, "code", bo_error_name(err));
        cli_json_str(e, "message", msg);
        if (more->retry_after > 0) {
            cJSON_AddNumberToObject(e, "retryAfterSeconds", more->retry_after);
        }
        if (more->n_seat_nos > 0) {
            cJSON *seats = cJSON_AddArrayToObject(e, "seatNos");
            for (size_t i = 0; i < more->n_seat_nos; i++) {
                cJSON_AddItemToArray(seats, cJSON_CreateNumber(more->seat_nos[i]));
            }
        }
        (void)cli_json_emit(stderr, o);
    } else if (cli_exit_for(err) == CLI_EXIT_UNREACHABLE) {
        fprintf(stderr, "error: %s: %s (rpc url %s, timeout %" PRId64 " ms)\n", bo_error_name(err),
                msg, c->g.rpc_url, c->g.timeout_ms);
    } else {
        fprintf(stderr, "error: %s: %s", bo_error_name(err), msg);
        if (more->retry_after > 0) {
            fprintf(stderr, " (retry after %" PRIu32 " s)", more->retry_after);
        }
        cli_error_seats(more);
        fputc('\n', stderr);
    }
}

void cli_error(const struct cli_ctx *c, int err, const char *message)
{
    cli_error_print(c, err, message, NULL);
}

void cli_error_status(const struct cli_ctx *c, int err, const struct bo_status *st)
{
    struct cli_error_more more = {err == BO_E_RATE_LIMITED ? st->retry_after_seconds : 0,
                                  st->seat_nos, st->n_seat_nos};

    if (more.n_seat_nos > sizeof(st->seat_nos) / sizeof(st->seat_nos[0])) {
        more.n_seat_nos = sizeof(st->seat_nos) / sizeof(st->seat_nos[0]);
    }
    cli_error_print(c, err, st->message, &more);
}

/* ---- the call path ------------------------------------------------------------ */

/* The protobuf type of the request field each type of option fills. */
static const ProtobufCType cli_field_types[] = {
    [CLI_ARG_STR] = PROTOBUF_C_TYPE_STRING, [CLI_ARG_ID] = PROTOBUF_C_TYPE_UINT64,
    [CLI_ARG_U32] = PROTOBUF_C_TYPE_UINT32, [CLI_ARG_INT] = PROTOBUF_C_TYPE_INT64,
    [CLI_ARG_TIME] = PROTOBUF_C_TYPE_INT64, [CLI_ARG_WHEN] = PROTOBUF_C_TYPE_INT64,
    [CLI_ARG_FLAG] = PROTOBUF_C_TYPE_BOOL,  [CLI_ARG_MANY] = PROTOBUF_C_TYPE_STRING,
};

const ProtobufCFieldDescriptor *cli_field_at(const ProtobufCMessageDescriptor *d, size_t offset)
{
    for (unsigned i = 0; i < d->n_fields; i++) {
        if (d->fields[i].offset == offset) {
            return &d->fields[i];
        }
    }
    return NULL;
}

/* cli_field_fits tells whether req has a single field at offset of the protobuf type an
 * option of type arg_type fills. */
static int cli_field_fits(const ProtobufCMessage *req, size_t offset, int arg_type)
{
    const ProtobufCFieldDescriptor *f = cli_field_at(req->descriptor, offset);

    return f != NULL && f->type == cli_field_types[arg_type] &&
           f->label != PROTOBUF_C_LABEL_REPEATED;
}

/*
 * cli_request_fill sets the fields of req that c's options fill (CLI_TO), those given; the
 * others keep req's defaults ("" and 0). Returns CLI_EXIT_OK, or CLI_EXIT_SERVICE after
 * printing why when an option's field is not one of req's (a mistake in the table).
 */
static int cli_request_fill(const struct cli_ctx *c, ProtobufCMessage *req)
{
    const struct cli_command *cmd = c->cmd;

    for (int i = 0; i < cli_nargs(cmd); i++) {
        const struct cli_arg *a = &cmd->args[i];
        char *field = (char *)req + a->to;
        if (a->to == 0) {
            continue;
        }
        if (!cli_field_fits(req, a->to, a->type)) {
            char why[160];
            snprintf(why, sizeof(why), "--%s of %s fits no field of %s", a->name, cmd->name,
                     req->descriptor->name);
            cli_error(c, BO_E_INTERNAL, why);
            return CLI_EXIT_SERVICE;
        }
        if (c->text[i] == NULL) {
            continue;
        }
        if (a->type == CLI_ARG_STR) {
            memcpy(field, &c->text[i], sizeof(c->text[i]));
        } else if (a->type == CLI_ARG_ID) {
            uint64_t v = (uint64_t)c->num[i];
            memcpy(field, &v, sizeof(v));
        } else if (a->type == CLI_ARG_U32) {
            uint32_t v = (uint32_t)c->num[i];
            memcpy(field, &v, sizeof(v));
        } else if (a->type == CLI_ARG_FLAG) {
            protobuf_c_boolean v = 1;
            memcpy(field, &v, sizeof(v));
        } else {
            memcpy(field, &c->num[i], sizeof(c->num[i]));
        }
    }
    return CLI_EXIT_OK;
}

/*
 * cli_call makes c->cmd's rpc: builds the request, calls, and prints the reply (cli_print_reply).
 * Returns an exit code, after printing any error.
 */
static int cli_call(struct cli_ctx *c)
{
    const struct cli_command *cmd = c->cmd;
    const char *method = cmd->pick != NULL ? cmd->pick(c) : cmd->method;
    const ProtobufCMethodDescriptor *m = protobuf_c_service_descriptor_get_method_by_name(
        &boxoffice__v1__boxoffice__descriptor, method);
    ProtobufCMessage *req = NULL, *reply = NULL;
    struct bo_status st;
    void *held = NULL;
    int rc, err;

    if (m == NULL || (req = calloc(1, m->input->sizeof_message)) == NULL) {
        cli_error(c, BO_E_INTERNAL, m == NULL ? "the command names no rpc" : "out of memory");
        return CLI_EXIT_SERVICE;
    }
    protobuf_c_message_init(m->input, req);
    if ((rc = cli_request_fill(c, req)) != CLI_EXIT_OK ||
        (cmd->build != NULL && (rc = cmd->build(c, req, &held)) != CLI_EXIT_OK)) {
        goto done;
    }
    memset(&st, 0, sizeof(st));
    err = bo_call(c->session, method, req, &reply, &st);
    if (err == BO_OK && reply == NULL) {
        err = BO_E_INTERNAL;
    }
    if (err != BO_OK) {
        cli_error_status(c, err, &st);
        rc = cli_exit_for(err);
        goto done;
    }
    rc = cli_print_reply(c, req, reply);
done:
    if (reply != NULL) {
        protobuf_c_message_free_unpacked(reply, NULL);
    }
    free(held);
    free(req);
    return rc;
}

/* cli_dial_and_call opens a client and a session at the rpc url and runs the call path. */
static int cli_dial_and_call(struct cli_ctx *c)
{
    struct bo_client *client = NULL;
    int rc = bo_client_open(c->g.rpc_url, (int)c->g.timeout_ms, &client);

    if (rc != BO_OK) {
        fprintf(stderr, "error: %s: cannot use --rpc-url '%s': %s\n", bo_error_name(rc),
                c->g.rpc_url, bo_error_message(rc));
        return rc == BO_E_INVALID_ARGUMENT ? CLI_EXIT_USAGE : cli_exit_for(rc);
    }
    rc = bo_session_open(client, &c->session);
    if (rc == BO_OK && (rc = bo_session_set_caller(c->session, c->g.session, NULL)) != BO_OK) {
        bo_session_close(c->session);
        c->session = NULL;
    }
    if (rc != BO_OK) {
        cli_error(c, rc, NULL);
        bo_client_close(client);
        return cli_exit_for(rc);
    }
    rc = cli_call(c);
    fflush(stdout);
    bo_session_close(c->session);
    c->session = NULL;
    bo_client_close(client);
    return rc;
}

/* ---- entry point ---------------------------------------------------------- */

void cli_commands_usage(FILE *out)
{
    fprintf(out, "Commands:\n");
    for (size_t i = 0; i < cli_ncommands; i++) {
        fprintf(out, "  %-16s %s\n", cli_commands[i].name, cli_commands[i].summary);
    }
    fprintf(out, "  %-16s %s\n", "help [COMMAND]", "Describe the commands, or one");
}

static const struct cli_command *cli_command_find(const char *name)
{
    for (size_t i = 0; i < cli_ncommands; i++) {
        if (strcmp(cli_commands[i].name, name) == 0) {
            return &cli_commands[i];
        }
    }
    return NULL;
}

/* cli_help runs 'help [COMMAND]'. */
static int cli_help(int argc, char **argv)
{
    const struct cli_command *cmd = argc > 1 ? cli_command_find(argv[1]) : NULL;

    if (cmd != NULL) {
        cli_command_usage(stdout, cmd);
        return CLI_EXIT_OK;
    }
    if (argc > 1) {
        fprintf(stderr, "error: unknown command '%s'\n", argv[1]);
        cli_commands_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    cli_commands_usage(stdout);
    return CLI_EXIT_OK;
}

int cli_command_run(const struct cli_global *g, int argc, char **argv)
{
    struct cli_ctx c;
    int rc;

    if (strcmp(argv[0], "help") == 0) {
        return cli_help(argc, argv);
    }
    memset(&c, 0, sizeof(c));
    c.g = *g;
    c.cmd = cli_command_find(argv[0]);
    if (c.cmd == NULL) {
        fprintf(stderr, "error: unknown command '%s' (see boxoffice-cli --help)\n", argv[0]);
        return CLI_EXIT_USAGE;
    }
    rc = cli_args_parse(&c, argc, argv);
    if (rc != CLI_EXIT_OK) {
        return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
    }
    if (c.cmd->run != NULL) {
        rc = c.cmd->run(&c);
        fflush(stdout);
        return rc;
    }
    return cli_dial_and_call(&c);
}
