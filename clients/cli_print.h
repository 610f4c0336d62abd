/*
 * cli_print: how boxoffice-cli prints answers, as short lines for people or as
 * one JSON object per line whose fields match the REST API.
 *
 * JSON is built with cJSON and printed unformatted, one object per line. The
 * printers are the print functions of the command table; the JSON helpers are
 * shared with the error lines and 'watch'.
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

/* cli_json_emit prints o as one line to out and frees it (takes ownership, o may be NULL).
 * Returns CLI_EXIT_OK, or CLI_EXIT_SERVICE after "error: out of memory" on stderr when any
 * part of o could not be built. */
int cli_json_emit(FILE *out, cJSON *o);

/* The print functions of the table (see cli_print_fn); the part each reads is named. */

/* cli_print_ping prints a PingReply. */
int cli_print_ping(const struct cli_ctx *c, const struct cli_answer *a);

/* cli_print_token prints part, a Token. */
int cli_print_token(const struct cli_ctx *c, const struct cli_answer *a);

/* cli_print_concerts prints a ListConcertsReply as a table, or {"concerts":[...]}. */
int cli_print_concerts(const struct cli_ctx *c, const struct cli_answer *a);

/* cli_print_schedules prints a ListSchedulesReply, with the concert id of the request. */
int cli_print_schedules(const struct cli_ctx *c, const struct cli_answer *a);

/* cli_print_seats prints a ListSeatsReply as a grid of seats, or every seat in JSON. */
int cli_print_seats(const struct cli_ctx *c, const struct cli_answer *a);

/* cli_print_held prints part, the Reservation a hold made. */
int cli_print_held(const struct cli_ctx *c, const struct cli_answer *a);

/* cli_print_released prints part, the Reservation a release ended. */
int cli_print_released(const struct cli_ctx *c, const struct cli_answer *a);

/* cli_print_balance prints a GetBalanceReply. */
int cli_print_balance(const struct cli_ctx *c, const struct cli_answer *a);

/* cli_print_charge prints a ChargePointsReply. */
int cli_print_charge(const struct cli_ctx *c, const struct cli_answer *a);

/* cli_print_pay prints a PayReply; part is its Payment. */
int cli_print_pay(const struct cli_ctx *c, const struct cli_answer *a);

/* cli_print_concert_created prints part, the Concert made. */
int cli_print_concert_created(const struct cli_ctx *c, const struct cli_answer *a);

/* cli_print_schedule_created prints part, the Schedule made. */
int cli_print_schedule_created(const struct cli_ctx *c, const struct cli_answer *a);

/* cli_print_settings prints part, the AdmissionSettings. */
int cli_print_settings(const struct cli_ctx *c, const struct cli_answer *a);

#endif
