/* br_health: GET /healthz (alive), GET /readyz (service reachable), GET /metrics. */
#include "br_call.h"
#include "br_json.h"
#include "br_metrics.h"
#include "br_routes.h"
#include "br_seatmaps.h"

int br_health_live(struct br_req *r)
{
    br_buf_puts(br_http_begin(r), "{\"status\":\"ok\"}");
    return br_http_send(r, 200, NULL, NULL);
}

/* br_health_ready_write writes {"status":"ready","instance"}. */
static int br_health_ready_write(struct br_json *j, const ProtobufCMessage *msg,
                                 const ProtobufCMessage *req)
{
    const Boxoffice__V1__PingReply *rep = (const Boxoffice__V1__PingReply *)msg;

    br_json_obj_begin(j);
    br_json_kv_str(j, "status", "ready");
    br_json_kv_str(j, "instance", rep->instance);
    br_json_obj_end(j);
    return 200;
}

const struct br_rpc br_health_ready_rpc = {.method = "Ping", .write = br_health_ready_write};

int br_health_metrics(struct br_req *r)
{
    struct br_buf *b = br_http_begin(r);

    br_metrics_render(b);
    br_seatmaps_metrics(r->t->shared->seatmaps, b);
    return br_http_send(r, 200, "text/plain; version=0.0.4; charset=utf-8", NULL);
}
