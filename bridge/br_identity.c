/* br_identity: sign up (POST /api/v1/accounts), log in (POST /api/v1/sessions), log out
 * (DELETE /api/v1/sessions/current). Passwords pass through to the service, never logged. */
#include "br_call.h"
#include "br_input.h"
#include "br_routes.h"

/* Longest name and password the bridge passes on (64 characters of up to 4 UTF-8 bytes; the
 * service's password limit); the service checks the exact rules. */
#define BR_IDENTITY_NAME_MAX     256
#define BR_IDENTITY_PASSWORD_MAX 128

static const struct br_input_field br_identity_signup_input[] = {
    {"name", 1, 1, BR_IDENTITY_NAME_MAX, BR_INPUT_STRING},
    {"password", 1, 1, BR_IDENTITY_PASSWORD_MAX, BR_INPUT_STRING},
    {NULL, 0, 0, 0, BR_INPUT_INT}};

/* {"userId","name"} */
const struct br_rpc br_identity_signup_rpc = {
    .method = "CreateAccount", .input = br_identity_signup_input, .status = 201};

static const struct br_input_field br_identity_login_input[] = {
    {"userId", 1, 1, BR_INPUT_MAX_SAFE, BR_INPUT_INT},
    {"password", 1, 1, BR_IDENTITY_PASSWORD_MAX, BR_INPUT_STRING},
    {NULL, 0, 0, 0, BR_INPUT_INT}};

/* {"session","userId","expiresAt"} */
const struct br_rpc br_identity_login_rpc = {
    .method = "Login", .input = br_identity_login_input, .status = 201};

/* The session sent as the proof is revoked: {"userId"} */
const struct br_rpc br_identity_logout_rpc = {.method = "Logout", .status = 200};
