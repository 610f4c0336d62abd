/*
 * br_push_frame: the bytes the push listener sends, apart from sending them.
 *
 * WebSocket: a message is one text frame holding the JSON below; a refused
 * connection is closed with a close code and a "CODE: message" reason.
 * SSE: the 200 head goes in front of the first event; an event is
 * "event: TYPE\ndata: JSON\n\n"; a comment keeps an idle stream open; a
 * refused request gets a complete JSON error response.
 *
 * Messages, by the token's state (the shapes the waiting-room page reads):
 *   {"type":"position","tokenId","status":"WAITING","position","etaSeconds"}, and while the
 *     sale has not opened "saleOpensAt" and "message" (position 0 until the opening's draw)
 *   {"type":"admitted","tokenId","status":"ACTIVE","admittedAt","expiresAt"}
 *   {"type":"expired","tokenId","status":"EXPIRED"}
 *
 * Pure functions over br_buf: no libwebsockets here, so they are tested alone.
 */
#ifndef BR_PUSH_FRAME_H
#define BR_PUSH_FRAME_H

#include <stddef.h>

#include "br_buf.h"
#include "br_push_hub.h"

/* A WebSocket close frame's reason holds at most this many bytes. */
#define BR_PUSH_FRAME_REASON_MAX 123

/* br_push_frame_type returns a message's "type" for a token status: position, admitted or
 * expired. */
const char *br_push_frame_type(int status);

/* br_push_frame_message appends the JSON message telling st of token_id to b (a WebSocket
 * text frame's payload). */
void br_push_frame_message(struct br_buf *b, const char *token_id, const struct br_push_state *st);

/* br_push_frame_ws_close writes the close code for a connection refused with err (a bo_error or
 * br_error code) into *code: 4401 (like HTTP 401) for a token missing, invalid or expired,
 * 1013 "try again later" when the service could not answer, 1011 otherwise; and the reason
 * "CODE: message" (msg NULL: the code's default message), cut to BR_PUSH_FRAME_REASON_MAX
 * bytes, into reason (at least BR_PUSH_FRAME_REASON_MAX + 1 bytes). Returns the reason's
 * length. */
size_t br_push_frame_ws_close(int err, const char *msg, int *code, char *reason);

/* br_push_frame_sse_event appends one event telling st of token_id to b, preceded by the 200
 * response head of an event stream when head is set (the stream's first event). */
void br_push_frame_sse_event(struct br_buf *b, int head, const char *token_id,
                             const struct br_push_state *st);

/* br_push_frame_sse_keepalive appends a comment that keeps an idle event stream open. */
void br_push_frame_sse_keepalive(struct br_buf *b);

/* br_push_frame_http_error appends a complete HTTP response for err (msg NULL: the code's
 * default message) with a JSON error body (a 503 with Retry-After), after which the
 * connection closes; a body too long for one marks b failed. */
void br_push_frame_http_error(struct br_buf *b, int err, const char *msg);

#endif
