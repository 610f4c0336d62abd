// seats: scenario 1, concurrent seat map lookups. Each VU joins a concert's queue once as
// its own user, waits until its token is ACTIVE, then asks for the seat map of that
// concert's dates as fast as it can (THINK_TIME sleeps between lookups). A token that
// expires is replaced. DESIGN: seat map p99 <= 20 ms.
//
//   k6 run -e TEST_TYPE=load -e BASE_URL=http://127.0.0.1:8080 -e ADMIN_KEY=... -e JWT_SECRET=... seats.js

import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import { testOptions, maxVus, testType, USERS, CONCERTS, SCHEDULES_PER_CONCERT } from './lib/config.js';
import { admitted, body, keptToken, limitsOff, list, num, raiseAdmission, restoreLimits, seatMap } from './lib/api.js';

export const options = testOptions('seats', {
    'http_req_duration{step:seatmap}': ['p(95)<15', 'p(99)<=20'],
    checks: ['rate>0.99'],
});

/** Tokens this VU had to replace (expired or rejected). */
const tokenRenewals = new Counter('seats_token_renewals');

/** The VU's ACTIVE token and the concert it was issued for ('' until admitted). */
let token = '';
let concertId = 0;

/**
 * @typedef {object} SeatsData
 * @property {{ [name: string]: number } | null} limits the rate limits setup() turned off
 */

/**
 * setup raises the admission settings and turns the rate limits off (with ADMIN_KEY).
 * @returns {SeatsData}
 */
export function setup() {
    raiseAdmission(maxVus(testType()));
    return { limits: limitsOff() };
}

export default function () {
    if (token === '') {
        // VU n is user n (offset by USER_OFFSET), spread over the concerts.
        const vu = exec.vu.idInTest;
        const userId = 1 + ((Number(__ENV.USER_OFFSET || 0) + vu - 1) % USERS);
        concertId = 1 + ((vu - 1) % CONCERTS);
        token = admitted(userId, concertId, 60);
        if (token === '') {
            sleep(1);
            return;
        }
    }
    const scheduleId = SCHEDULES_PER_CONCERT * (concertId - 1) + 1 +
        Math.floor(Math.random() * SCHEDULES_PER_CONCERT);
    const res = seatMap(token, scheduleId);
    const b = body(res);
    check(res, {
        'seatmap: status 200': (r) => r.status === 200,
        'seatmap: 50 seats': () => list(b, 'seats').length === 50,
        'seatmap: right date': () => num(b, 'scheduleId') === scheduleId,
    });
    if (!keptToken(res, tokenRenewals)) {
        token = '';
    }
}

/**
 * teardown restores the rate limits setup() turned off.
 * @param {SeatsData} data
 */
export function teardown(data) {
    restoreLimits(data.limits);
}
