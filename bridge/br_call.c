/* br_call: rpc over the thread's session, and call -> status -> JSON (see br_call.h). */
#include "br_call.h"

#include "bo_log.h"
#include "boxoffice/client.h"
#include "br_status.h"

int br_call(struct br_req *r, const char *method, const ProtobufCMessage *in,
            ProtobufCMessage **out)
{
    struct bo_status st;
    int rc;

    if (r->t->session == NULL) {
        rc = bo_session_open(r->t->shared->client, &r->t->session);
        if (rc != BO_OK) {
            r->t->session = NULL;
            BO_ERR("cannot open an rpc session: %s", bo_error_name(rc));
            return br_http_error(r, rc, NULL);
        }
    }
    st.code = BO_OK;
    st.message[0] = '\0';
    rc = bo_call(r->t->session, method, in, out, &st);
    if (rc == BO_OK) {
        return 0;
    }
    if (rc == BO_E_UNAVAILABLE || rc == BO_E_TIMEOUT || rc == BO_E_UNKNOWN_METHOD) {
        BO_DEBUG("rpc %s failed: %s %s", method, bo_error_name(rc), st.message);
    }
    if (st.message[0] == '\0') {
        return br_http_error(r, rc, NULL);
    }
    return br_http_error(r, rc, "%s", st.message);
}

int br_call_json(struct br_req *r, const struct br_rpc *rpc, const ProtobufCMessage *in,
                 const void *arg)
{
    ProtobufCMessage *rep = NULL;
    struct br_json j;
    int status;

    if ((status = br_call(r, rpc->method, in, &rep)) != 0) {
        return status;
    }
    br_http_begin_json(r, &j);
    status = rpc->write(&j, rep, arg);
    protobuf_c_message_free_unpacked(rep, NULL);
    if (status == 0) {
        return br_http_error(r, BO_E_INTERNAL, "the service answered without %s",
                             rpc->needs != NULL ? rpc->needs : "a reply");
    }
    return br_http_send(r, status, NULL, NULL);
}

void br_call_thread_fini(struct br_thread *t)
{
    bo_session_close(t->session);
    t->session = NULL;
}
