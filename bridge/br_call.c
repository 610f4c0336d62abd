/* br_call: rpc over the thread's session (see br_call.h). */
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

void br_call_thread_fini(struct br_thread *t)
{
    bo_session_close(t->session);
    t->session = NULL;
}
