/* br_health: GET /healthz (alive), GET /readyz (service reachable), GET /metrics. */
#include "br_call.h"
#include "br_json.h"
#include "br_metrics.h"
#include "br_routes.h"

int br_health_live(struct br_req *r)
{
    br_buf_puts(br_http_begin(r), "{\"status\":\"ok\"}");
    return br_http_send(r, 200, NULL, NULL);
}

int br_health_ready(struct br_req *r)
{
    Boxoffice__V1__PingRequest req = BOXOFFICE__V1__PING_REQUEST__INIT;
    Boxoffice__V1__PingReply *rep = NULL;
    int status;

    if ((status = br_call(r, "Ping", &req.base, (ProtobufCMessage **)&rep)) != 0) {
        return status;
    }
    struct br_buf *b = br_http_begin(r);
    br_json_obj_begin(b);
    br_json_kv_str(b, "status", "ready");
    br_json_kv_str(b, "instance", rep->instance);
    br_json_obj_end(b);
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return br_http_send(r, 200, NULL, NULL);
}

int br_health_metrics(struct br_req *r)
{
    br_metrics_render(br_http_begin(r));
    return br_http_send(r, 200, "text/plain; version=0.0.4; charset=utf-8", NULL);
}
