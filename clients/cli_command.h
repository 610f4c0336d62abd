/*
 * cli_command: what one command of boxoffice-cli is, for the table and its runner.
 *
 * A command is a row of the table in cli_table.c: its name and summary, its
 * options, and either the rpc it makes (its options fill the request's fields;
 * cli_print.c prints the reply by its type) or a function of its own ('watch').
 * Nothing is looked up by a string a typo could miss: an option names the
 * request field it fills with offsetof (CLI_TO), and code that reads an option
 * itself does so by an index from the command's enum (the row places each
 * option at its index), as cli_opt_str(c, CLI_WATCH_EVENTS_URL).
 *
 * cli_run.c parses the options and runs the one call path; the functions
 * declared here are the ones the table, the printers and 'watch' share.
 */
#ifndef CLI_COMMAND_H
#define CLI_COMMAND_H

#include "cli.h"

#include "boxoffice/client.h"

#include <stddef.h>
#include <stdint.h>

/* The most options a command has. */
#define CLI_MAX_ARGS 8

/* The most values of a command's option that may repeat ('admin-venue --section', as many as a
 * venue's sections). */
#define CLI_MAX_MANY 64

enum cli_arg_type {
    CLI_ARG_STR,  /* any text */
    CLI_ARG_ID,   /* an id: whole number >= 1 */
    CLI_ARG_U32,  /* whole number 0..4294967295 */
    CLI_ARG_INT,  /* whole number, may be negative (the service checks ranges) */
    CLI_ARG_TIME, /* RFC 3339, kept as Unix ms */
    CLI_ARG_WHEN, /* RFC 3339 as Unix ms, or "now" as 0 */
    CLI_ARG_FLAG, /* a switch: takes no value (its text is "1" when given) */
    CLI_ARG_MANY, /* text that may be given again and again: every value is in cli_ctx.many */
};

/*
 * One option of a command: --name METAVAR (a CLI_ARG_FLAG has no METAVAR and no value),
 * optionally read from env when not given; a CLI_ARG_MANY option may be given again and again
 * (a command has at most one such, which fills no field: its build function reads every value
 * in cli_ctx.many). Most
 * options fill one field of the rpc's request: to is its offset (CLI_TO), and the call path
 * sets it after checking against the generated descriptor that the request has a field of the
 * option's type there. to is 0 for an option the command's own functions read.
 */
struct cli_arg {
    const char *name;
    int type;            /* enum cli_arg_type */
    const char *metavar; /* shown in help: "ID", "TOKEN" */
    const char *env;     /* environment variable read when not given, or NULL */
    int required;
    const char *help;
    size_t to; /* offset of the request field it fills, or 0 */
};

/* CLI_TO is the offset of field f in message Boxoffice__V1__<T>: a misspelt field or message
 * does not compile. */
#define CLI_TO(T, f) offsetof(Boxoffice__V1__##T, f)

struct cli_command;

/* Everything a command's functions read: options, output mode and the session. */
struct cli_ctx {
    struct cli_global g;
    const struct cli_command *cmd;
    char *text[CLI_MAX_ARGS];  /* NULL when not given; borrowed from argv or environ */
    int64_t num[CLI_MAX_ARGS]; /* parsed value of numeric and time options */
    char *many[CLI_MAX_MANY];  /* every value of the CLI_ARG_MANY option, in order; from argv */
    size_t n_many;
    struct bo_session *session; /* NULL for a command with its own run function */
};

/*
 * A command's build function fills what its options' CLI_TO fields do not: req is a message of
 * the rpc's input type. Strings and arrays it sets are borrowed from c, or from *held (one
 * malloc'd block the call path frees after the call). Returns CLI_EXIT_OK, or an exit code
 * after printing why.
 */
typedef int (*cli_build_fn)(const struct cli_ctx *c, ProtobufCMessage *req, void **held);

struct cli_command {
    const char *name;
    const char *summary;
    struct cli_arg args[CLI_MAX_ARGS]; /* its options in the order of its help; name NULL after */
    const char *method;                /* rpc of the call path ("HoldSeat") */
    const char *(*pick)(const struct cli_ctx *c); /* when not NULL, chooses the rpc instead */
    cli_build_fn build;            /* NULL when the options' fields make the whole request */
    int (*run)(struct cli_ctx *c); /* instead of the call path: dials what it needs itself */
};

/* The table of commands (cli_table.c), in the order of the help. */
extern const struct cli_command cli_commands[];
extern const size_t cli_ncommands;

/* cli_opt_given tells whether option i was given (or came from its environment variable). */
int cli_opt_given(const struct cli_ctx *c, int i);

/* cli_opt_str returns option i's text, "" when not given. Borrowed from argv or environ. */
char *cli_opt_str(const struct cli_ctx *c, int i);

/* cli_opt_num returns the parsed value of numeric or time option i, 0 when not given. */
int64_t cli_opt_num(const struct cli_ctx *c, int i);

/* cli_parse_int reads a whole number in lo..hi from the whole of text into *out; BO_OK or
 * BO_E_INVALID_ARGUMENT. */
BO_WUR int cli_parse_int(const char *text, int64_t lo, int64_t hi, int64_t *out);

/*
 * cli_list_item copies the next item of the comma-separated list at *p into item (len bytes)
 * and moves *p past it (NULL after the last). Returns 1 for an item, 0 at the end of the list,
 * -1 for an empty or too long item.
 */
int cli_list_item(const char **p, char *item, size_t len);

/* cli_field_at returns the field of messages of type d at offset, NULL when none is there. */
const ProtobufCFieldDescriptor *cli_field_at(const ProtobufCMessageDescriptor *d, size_t offset);

/* cli_exit_for maps an error code to the exit code: no answer is 3, any other error 1. */
int cli_exit_for(int err);

/* cli_error prints err to stderr: "error: CODE: message" (message NULL or "" for the code's
 * own), or the REST error object with --json. */
void cli_error(const struct cli_ctx *c, int err, const char *message);

/* cli_error_status prints err as cli_error does with the message of st, the status of the
 * failed call, for RATE_LIMITED when to try again (st->retry_after_seconds), and the seats it
 * concerns when it names any (SEAT_TAKEN, SEAT_NOT_FOUND: st->seat_nos). */
void cli_error_status(const struct cli_ctx *c, int err, const struct bo_status *st);

/* The options of 'watch', indexes into its row's args. */
enum cli_watch_arg {
    CLI_WATCH_CONCERT,
    CLI_WATCH_USER,
    CLI_WATCH_EVENTS_URL,
};

/* The options of 'hold', indexes into its row's args. */
enum cli_hold_arg {
    CLI_HOLD_SCHEDULE,
    CLI_HOLD_SEAT,
    CLI_HOLD_SEATS,
    CLI_HOLD_BEST,
    CLI_HOLD_SECTION,
    CLI_HOLD_APART,
    CLI_HOLD_TOKEN,
};

/* The most seats one hold may take: the ceiling of the service's maxSeatsPerHold setting. */
#define CLI_HOLD_SEATS_MAX 10

/*
 * cli_build_hold fills a HoldSeatRequest from exactly one of --seat (filled by the table),
 * --seats (1..CLI_HOLD_SEATS_MAX distinct seat numbers) or --best with --section (and --apart),
 * refusing anything else before a call (a cli_build_fn).
 */
int cli_build_hold(const struct cli_ctx *c, ProtobufCMessage *req, void **held);

/* The options of 'admin-venue', indexes into its row's args. */
enum cli_venue_arg {
    CLI_VENUE_NAME,
    CLI_VENUE_SECTION,
    CLI_VENUE_KEY,
};

/* cli_build_venue sets the sections of a CreateVenueRequest from every --section
 * NAME:ROWSxSEATS:PRICE, in order (a cli_build_fn). */
int cli_build_venue(const struct cli_ctx *c, ProtobufCMessage *req, void **held);

/* cli_watch_run prints admission events until SIGINT or SIGTERM; returns an exit code. */
int cli_watch_run(struct cli_ctx *c);

#endif
