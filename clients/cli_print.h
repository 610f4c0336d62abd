/*
 * cli_print: how boxoffice-cli prints answers, as short lines for people or as
 * one JSON object per line whose fields match the REST API.
 *
 * JSON is built with cJSON and printed unformatted, one object per line; its
 * keys come from one table, per message type. Every reply the command table's
 * rpcs return has its printer, chosen by the reply's message type; the JSON
 * helpers are shared with the error lines and 'watch'.
 */
#ifndef CLI_PRINT_H
#define CLI_PRINT_H

#include "cli_command.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>

/* cli_time formats ms for people into buf; "-" when not set (0). Returns buf. */
const char *cli_time(int64_t ms, char *buf, size_t len);

/* cli_json_object returns a new empty object (caller frees with cJSON_Delete, or hands it to
 * cli_json_emit); NULL when out of memory, which the helpers below and cJSON_Add* accept. */
cJSON *cli_json_object(void);

/* cli_json_str adds key: v to o, "" when v is NULL. */
void cli_json_str(cJSON *o, const char *key, const char *v);

/* cli_json_time adds key: ms as an RFC 3339 string to o, or null when ms is 0 (not set). */
void cli_json_time(cJSON *o, const char *key, int64_t ms);

/* cli_json_fields returns the REST object of msg (as cli_json_object): the fields that
 * cli_print.c's table of keys lists for its type, under their keys and in their order. */
cJSON *cli_json_fields(const ProtobufCMessage *msg);

/* cli_json_key_at finds the field of messages of type d shown under key (cli_print.c's table
 * of keys) and writes its offset to *at: BO_OK, or BO_E_NOT_FOUND. */
BO_WUR int cli_json_key_at(const ProtobufCMessageDescriptor *d, const char *key, size_t *at);

/* cli_json_keys prints to out the keys of messages of type d, separated by ", ". */
void cli_json_keys(FILE *out, const ProtobufCMessageDescriptor *d);

/* cli_json_emit prints o as one line to out and frees it (takes ownership, o may be NULL).
 * Returns CLI_EXIT_OK, or CLI_EXIT_SERVICE after "error: out of memory" on stderr when any
 * part of o could not be built. */
int cli_json_emit(FILE *out, cJSON *o);

/*
 * cli_print_reply prints reply, the successful answer of c's rpc to request, as text or one JSON
 * object per line; the reply's message type chooses how (and which of its fields must be set).
 * Returns CLI_EXIT_OK, or CLI_EXIT_SERVICE after printing why (a reply the CLI cannot print, or
 * out of memory).
 */
int cli_print_reply(const struct cli_ctx *c, const ProtobufCMessage *request,
                    const ProtobufCMessage *reply);

#endif
