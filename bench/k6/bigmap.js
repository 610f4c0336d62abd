// bigmap: issue 11's big-map lookups. Each VU joins the queue of a concert on a venue once as
// its own user, waits until its token is ACTIVE, then asks for the seats of one 2,000-seat
// section (SECTION, default A) of its date as fast as it can: GET
// /api/v1/schedules/{id}/seats?section=A, with COMPACT=1 the compact map (&format=compact, one
// letter a seat). With ADMIN_KEY, setup() makes a venue of sections of 20 rows x 100 seats and
// a date on it of a concert of its own (lib/venue.js); without, the seed's arena (date 16).
//
//   k6 run -e TEST_TYPE=load -e ADMIN_KEY=$(cat var/admin.key) -e JWT_SECRET=$(cat var/jwt.secret) bigmap.js

import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import { testOptions, maxVus, testType, ADMIN_KEY, USERS } from './lib/config.js';
import { admitted, body, keptToken, limitsOff, list, num, raiseAdmission, restoreLimits, sectionMap, str } from './lib/api.js';
import { SEED_ARENA, venueDates } from './lib/venue.js';

export const options = testOptions('bigmap', {
    'http_req_duration{step:sectionmap}': ['p(95)<100'],
    checks: ['rate>0.99'],
});

/** The section looked up, its size, and whether the compact map is asked for. */
const SECTION = __ENV.SECTION || 'A';
const SECTION_SEATS = 2000;
const COMPACT = __ENV.COMPACT === '1';

/** Tokens this VU had to replace (expired or rejected). */
const tokenRenewals = new Counter('bigmap_token_renewals');

/** The VU's ACTIVE token ('' until admitted). */
let token = '';

/**
 * @typedef {object} BigmapData
 * @property {number} concertId the concert whose date is looked up
 * @property {number} scheduleId the date on the venue
 * @property {{ [name: string]: number } | null} limits the rate limits setup() turned off
 */

/**
 * setup raises the admission settings, turns the rate limits off and, with ADMIN_KEY, makes
 * the venue and its date.
 * @returns {BigmapData}
 */
export function setup() {
    raiseAdmission(maxVus(testType()));
    const limits = limitsOff();
    const made = ADMIN_KEY ? venueDates(`k6 bigmap ${new Date().toISOString()}`, 1) : null;
    const on = made || SEED_ARENA;
    return { concertId: on.concertId, scheduleId: on.scheduleIds[0], limits };
}

/**
 * @param {BigmapData} data
 */
export default function (data) {
    if (token === '') {
        const vu = exec.vu.idInTest;
        const userId = 1 + ((Number(__ENV.USER_OFFSET || 0) + vu - 1) % USERS);
        token = admitted(userId, data.concertId, 60);
        if (token === '') {
            sleep(1);
            return;
        }
    }
    const res = sectionMap(token, data.scheduleId, SECTION, COMPACT);
    const b = body(res);
    check(res, {
        'sectionmap: status 200': (r) => r.status === 200,
        'sectionmap: 2,000 seats': () => (COMPACT ? str(b, 'statuses').length : list(b, 'seats').length) ===
            SECTION_SEATS,
        'sectionmap: right date': () => num(b, 'scheduleId') === data.scheduleId,
    });
    if (!keptToken(res, tokenRenewals)) {
        token = '';
    }
}

/**
 * teardown restores the rate limits setup() turned off.
 * @param {BigmapData} data
 */
export function teardown(data) {
    restoreLimits(data.limits);
}
