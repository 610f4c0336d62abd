/* nb_admin: admission raised and rate limits off for a run, and back (see nb_admin.h). */
#include "nb_admin.h"

#include "nb_rpc.h"

#include "bo_error.h"

#include <stdio.h>
#include <time.h>

#define NB_ADMISSION_RATE   100000u
#define NB_ADMISSION_ACTIVE 1000000u

/* How long after a change of the limits the service may still apply the old ones: each of its
 * workers reads them anew once a second. */
#define NB_LIMITS_SETTLE_MS 1500

/* nb_admin_call makes the admin call method (what says what it does) over s, unmeasured; on
 * BO_OK the caller frees *out. */
static int nb_admin_call(struct bo_session *s, const char *method, const ProtobufCMessage *in,
                         ProtobufCMessage **out, const char *what)
{
    struct bo_status st;
    int rc = nb_rpc_call(s, NULL, method, in, out, BO_OK, &st);

    if (rc != BO_OK) {
        fprintf(stderr, "nngbench: %s failed: %s: %s\n", what, bo_error_name(rc), st.message);
    }
    return rc;
}

/* nb_admin_set_limits sets every rate limit to those of l over s. */
static int nb_admin_set_limits(const struct nb_config *cfg, struct bo_session *s,
                               const Boxoffice__V1__Limits *l, const char *what)
{
    Boxoffice__V1__SetLimitsRequest req = BOXOFFICE__V1__SET_LIMITS_REQUEST__INIT;
    Boxoffice__V1__Limits copy = *l;
    ProtobufCMessage *rep = NULL;
    int rc;

    req.admin_key = (char *)cfg->admin_key;
    req.limits = &copy;
    req.fields_set = (1u << boxoffice__v1__limits__descriptor.n_fields) - 1; /* all of them */
    if ((rc = nb_admin_call(s, "SetLimits", &req.base, &rep, what)) == BO_OK) {
        protobuf_c_message_free_unpacked(rep, NULL);
    }
    return rc;
}

/* nb_admin_limits_off reads the limits in force into a, then turns them all off. */
static int nb_admin_limits_off(struct nb_admin *a, const struct nb_config *cfg,
                               struct bo_session *s)
{
    Boxoffice__V1__GetLimitsRequest req = BOXOFFICE__V1__GET_LIMITS_REQUEST__INIT;
    Boxoffice__V1__LimitsReply *rep = NULL;
    Boxoffice__V1__Limits off = BOXOFFICE__V1__LIMITS__INIT;
    int rc;

    req.admin_key = (char *)cfg->admin_key;
    rc = nb_admin_call(s, "GetLimits", &req.base, (ProtobufCMessage **)&rep,
                       "reading the rate limits");
    if (rc != BO_OK) {
        return rc;
    }
    if (rep->limits == NULL) {
        protobuf_c_message_free_unpacked(&rep->base, NULL);
        fprintf(stderr, "nngbench: the service sent no rate limits\n");
        return BO_E_INTERNAL;
    }
    a->limits = *rep->limits;
    a->limits.base.unknown_fields = NULL;
    a->limits.base.n_unknown_fields = 0;
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    a->limits_saved = 1; /* from here on, put back even if turning them off fails half-way */
    if ((rc = nb_admin_set_limits(cfg, s, &off, "turning the rate limits off")) != BO_OK) {
        return rc;
    }
    struct timespec settle = {NB_LIMITS_SETTLE_MS / 1000, (NB_LIMITS_SETTLE_MS % 1000) * 1000000L};
    fprintf(stderr,
            "nngbench: rate limits off for the run; waiting %d ms until every worker of "
            "the service applies that\n",
            NB_LIMITS_SETTLE_MS);
    nanosleep(&settle, NULL);
    return BO_OK;
}

/* nb_admin_raise_admission admits every VU at once: rate and ACTIVE cap raised. */
static int nb_admin_raise_admission(const struct nb_config *cfg, struct bo_session *s)
{
    Boxoffice__V1__SetAdmissionSettingsRequest req =
        BOXOFFICE__V1__SET_ADMISSION_SETTINGS_REQUEST__INIT;
    Boxoffice__V1__AdmissionSettings set = BOXOFFICE__V1__ADMISSION_SETTINGS__INIT;
    ProtobufCMessage *rep = NULL;
    int rc;

    req.admin_key = (char *)cfg->admin_key;
    req.settings = &set;
    set.rate_per_second = NB_ADMISSION_RATE;
    set.max_active = NB_ADMISSION_ACTIVE;
    rc = nb_admin_call(s, "SetAdmissionSettings", &req.base, &rep, "raising admission settings");
    if (rc == BO_OK) {
        protobuf_c_message_free_unpacked(rep, NULL);
    }
    return rc;
}

int nb_admin_prepare(struct nb_admin *a, const struct nb_config *cfg, struct bo_session *s,
                     int raise_admission)
{
    int rc;

    if (cfg->admin_key[0] == '\0') {
        fprintf(stderr, "nngbench: no --admin-key: admission settings and rate limits left as "
                        "they are\n");
        return BO_OK;
    }
    if (raise_admission && (rc = nb_admin_raise_admission(cfg, s)) != BO_OK) {
        return rc;
    }
    return nb_admin_limits_off(a, cfg, s);
}

void nb_admin_restore(struct nb_admin *a, const struct nb_config *cfg, struct bo_client *client)
{
    struct bo_session *s = NULL;

    if (!a->limits_saved) {
        return;
    }
    if (bo_session_open(client, &s) != BO_OK ||
        nb_admin_set_limits(cfg, s, &a->limits, "restoring the rate limits") != BO_OK) {
        fprintf(stderr, "nngbench: the rate limits may still be off: set them again with "
                        "'boxoffice-cli limits --set ...'\n");
    }
    bo_session_close(s);
    a->limits_saved = 0;
}
