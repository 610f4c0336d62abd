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

/* nb_admin_set_admission sets admission's rate and ACTIVE cap over s. */
static int nb_admin_set_admission(const struct nb_config *cfg, struct bo_session *s, uint32_t rate,
                                  uint32_t max_active, const char *what)
{
    Boxoffice__V1__SetAdmissionSettingsRequest req =
        BOXOFFICE__V1__SET_ADMISSION_SETTINGS_REQUEST__INIT;
    Boxoffice__V1__AdmissionSettings set = BOXOFFICE__V1__ADMISSION_SETTINGS__INIT;
    ProtobufCMessage *rep = NULL;
    int rc;

    req.admin_key = (char *)cfg->admin_key;
    req.settings = &set;
    set.rate_per_second = rate; /* the other fields 0: left as they are */
    set.max_active = max_active;
    if ((rc = nb_admin_call(s, "SetAdmissionSettings", &req.base, &rep, what)) == BO_OK) {
        protobuf_c_message_free_unpacked(rep, NULL);
    }
    return rc;
}

/* nb_admin_raise_admission reads admission's rate and ACTIVE cap into a, then admits every VU
 * at once: both raised. */
static int nb_admin_raise_admission(struct nb_admin *a, const struct nb_config *cfg,
                                    struct bo_session *s)
{
    Boxoffice__V1__GetAdmissionSettingsRequest req =
        BOXOFFICE__V1__GET_ADMISSION_SETTINGS_REQUEST__INIT;
    Boxoffice__V1__AdmissionSettingsReply *rep = NULL;
    int rc;

    req.admin_key = (char *)cfg->admin_key;
    rc = nb_admin_call(s, "GetAdmissionSettings", &req.base, (ProtobufCMessage **)&rep,
                       "reading the admission settings");
    if (rc != BO_OK) {
        return rc;
    }
    if (rep->settings == NULL || rep->settings->rate_per_second == 0 ||
        rep->settings->max_active == 0) {
        protobuf_c_message_free_unpacked(&rep->base, NULL);
        fprintf(stderr, "nngbench: the service sent no admission settings\n");
        return BO_E_INTERNAL;
    }
    a->admission_rate = rep->settings->rate_per_second;
    a->admission_active = rep->settings->max_active;
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    a->admission_saved = 1;
    return nb_admin_set_admission(cfg, s, NB_ADMISSION_RATE, NB_ADMISSION_ACTIVE,
                                  "raising admission settings");
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
    if (raise_admission && (rc = nb_admin_raise_admission(a, cfg, s)) != BO_OK) {
        return rc;
    }
    return nb_admin_limits_off(a, cfg, s);
}

void nb_admin_restore(struct nb_admin *a, const struct nb_config *cfg, struct bo_client *client)
{
    struct bo_session *s = NULL;

    if (!a->limits_saved && !a->admission_saved) {
        return;
    }
    if (bo_session_open(client, &s) != BO_OK) {
        s = NULL;
    }
    if (a->limits_saved &&
        (s == NULL ||
         nb_admin_set_limits(cfg, s, &a->limits, "restoring the rate limits") != BO_OK)) {
        fprintf(stderr, "nngbench: the rate limits may still be off: set them again with "
                        "'boxoffice-cli limits --set ...'\n");
    }
    if (a->admission_saved &&
        (s == NULL || nb_admin_set_admission(cfg, s, a->admission_rate, a->admission_active,
                                             "restoring the admission settings") != BO_OK)) {
        fprintf(stderr,
                "nngbench: admission may still be raised: set it again with "
                "'boxoffice-cli admin-settings --rate %u --max-active %u'\n",
                a->admission_rate, a->admission_active);
    }
    bo_session_close(s);
    a->limits_saved = 0;
    a->admission_saved = 0;
}
