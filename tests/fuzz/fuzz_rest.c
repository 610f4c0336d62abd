/*
 * fuzz_rest: REST requests as the bridge answers them: method and path through the route table
 * (bridge/br_router.c), the headers read for the call (Authorization, X-Forwarded-For,
 * Queue-Token, Admin-Key, Idempotency-Key, Content-Type), the JSON body of every route parsed
 * into its request (bridge/br_input.c, br_call.c, br_admin.c), and the answer written. The
 * connection is fuzz_http's; the service is a stand-in on an in-process NNG address that
 * decodes each call as the service does and answers an empty reply of the method's type.
 */
#include "fuzz.h"
#include "fuzz_http.h"

#include "bo_envelope.h"
#include "bo_error.h"
#include "bo_log.h"
#include "boxoffice/client.h"
#include "br_call.h"
#include "br_config.h"
#include "br_http.h"
#include "br_router.h"

#include <nng/protocol/reqrep0/rep.h>
#include <pthread.h>
#include <string.h>

static struct br_config fuzz_rest_cfg;
static struct br_shared fuzz_rest_shared;
static struct br_thread fuzz_rest_thread;
static nng_socket fuzz_rest_service;

/* fuzz_rest_answer answers one call: an empty reply of its method's response type when the
 * call decodes as the service decodes it, else MALFORMED_REQUEST. */
static nng_msg *fuzz_rest_answer(nng_msg *req)
{
    const ProtobufCServiceDescriptor *sd = bo_service_descriptor();
    Boxoffice__V1__RequestEnvelope *env;
    ProtobufCMessage *in = NULL;
    nng_msg *rep = NULL;
    uint64_t id = 0;
    int rc = BO_E_MALFORMED_REQUEST;

    env = boxoffice__v1__request_envelope__unpack(NULL, nng_msg_len(req), nng_msg_body(req));
    if (env != NULL) {
        id = env->request_id;
        if (env->method < sd->n_methods &&
            (in = protobuf_c_message_unpack(sd->methods[env->method].input, NULL, env->body.len,
                                            env->body.data)) != NULL) {
            union {
                ProtobufCMessage base;
                max_align_t align;
                unsigned char bytes[4096];
            } out;
            const ProtobufCMessageDescriptor *d = sd->methods[env->method].output;
            fuzz_check(d->sizeof_message <= sizeof(out));
            protobuf_c_message_init(d, &out);
            rc = bo_envelope_reply_encode(id, BO_OK, NULL, &out.base, &rep);
            protobuf_c_message_free_unpacked(in, NULL);
        }
        boxoffice__v1__request_envelope__free_unpacked(env, NULL);
    }
    if (rep == NULL && bo_envelope_reply_encode(id, rc, NULL, NULL, &rep) != BO_OK) {
        fuzz_fail("cannot encode a reply");
    }
    return rep;
}

static void *fuzz_rest_serve(void *arg)
{
    nng_msg *req, *rep;

    while (nng_recvmsg(fuzz_rest_service, &req, 0) == 0) {
        rep = fuzz_rest_answer(req);
        nng_msg_free(req);
        if (nng_sendmsg(fuzz_rest_service, rep, 0) != 0) {
            nng_msg_free(rep);
        }
    }
    return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char *args[] = {"fuzz_rest", NULL};
    char err[256] = "";
    int exit_now = 0;
    pthread_t thread;

    bo_log_setup("fuzz_rest", BO_LOG_ERROR);
    if (br_config_load(&fuzz_rest_cfg, 1, args, &exit_now, err, sizeof(err)) != BO_OK) {
        fuzz_fail("bridge configuration: %s", err);
    }
    snprintf(fuzz_rest_cfg.rpc_urls, sizeof(fuzz_rest_cfg.rpc_urls), "%s", FUZZ_RPC_URL);
    snprintf(fuzz_rest_cfg.trusted_proxy, sizeof(fuzz_rest_cfg.trusted_proxy), "127.0.0.1");
    snprintf(fuzz_rest_cfg.push_listen, sizeof(fuzz_rest_cfg.push_listen), "0.0.0.0:8081");
    fuzz_rest_cfg.max_body_bytes = 16384;
    if (br_caller_ip_parse("127.0.0.1", 9, &fuzz_rest_cfg.trusted_proxy_ip) != BO_OK ||
        nng_rep0_open(&fuzz_rest_service) != 0 ||
        nng_listen(fuzz_rest_service, FUZZ_RPC_URL, NULL, 0) != 0 ||
        pthread_create(&thread, NULL, fuzz_rest_serve, NULL) != 0 ||
        bo_client_open(FUZZ_RPC_URL, 5000, &fuzz_rest_shared.client) != BO_OK) {
        fuzz_fail("cannot start the stand-in service");
    }
    pthread_detach(thread);
    fuzz_rest_shared.cfg = &fuzz_rest_cfg;
    fuzz_rest_thread.shared = &fuzz_rest_shared;
    br_buf_init(&fuzz_rest_thread.out);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_http h;
    struct br_req r;
    int route = -1;

    if (fuzz_http_parse(&h, data, size) != 0) {
        return 0;
    }
    if (br_router_owns(h.ri.local_uri)) { /* other paths are civetweb's static files */
        memset(&r, 0, sizeof(r));
        r.conn = &h.conn;
        r.ri = &h.ri;
        r.t = &fuzz_rest_thread;
        r.path = h.ri.local_uri;
        int status = br_router_dispatch(&r, &route);
        br_http_end(&r);
        fuzz_check(route >= 0 && route <= br_router_count());
        fuzz_check(h.conn.responses == 1);
        fuzz_check(h.conn.status == status);
    }
    fuzz_http_free(&h);
    return 0;
}
