// tokens: scenario 2, concurrent queue entry. Every iteration takes a place in a queue
// for a random user (1..USERS, proven with its identity token) and concert (1..CONCERTS): a
// new token, or the same one when that user already holds a live token for the concert.
// DESIGN: token issue p99 <= 50 ms.
//
//   k6 run -e TEST_TYPE=peak -e JWT_SECRET=$(cat var/jwt.secret) -e ADMIN_KEY=$(cat var/admin.key) tokens.js

import { check, sleep } from 'k6';
import { testOptions, maxVus, testType, THINK_TIME, USERS, CONCERTS } from './lib/config.js';
import { body, issueToken, limitsOff, num, raiseAdmission, restoreLimits, str } from './lib/api.js';
import { proofOf } from './lib/identity.js';

export const options = testOptions('tokens', {
    'http_req_duration{step:join}': ['p(95)<30', 'p(99)<=50'],
    checks: ['rate>0.99'],
});

/**
 * @typedef {object} TokensData
 * @property {{ [name: string]: number } | null} limits the rate limits setup() turned off
 */

/**
 * setup raises the admission settings and turns the rate limits off (with ADMIN_KEY).
 * @returns {TokensData}
 */
export function setup() {
    raiseAdmission(maxVus(testType()));
    return { limits: limitsOff() };
}

export default function () {
    const userId = 1 + Math.floor(Math.random() * USERS);
    const concertId = 1 + Math.floor(Math.random() * CONCERTS);
    const res = issueToken(proofOf(userId), concertId);
    const b = body(res);
    check(res, {
        'join: status 200/201': (r) => r.status === 200 || r.status === 201,
        'join: token issued': () => str(b, 'token') !== '',
        'join: for this user and concert': () =>
            num(b, 'userId') === userId && num(b, 'concertId') === concertId,
        'join: WAITING or ACTIVE': () => str(b, 'status') === 'WAITING' || str(b, 'status') === 'ACTIVE',
    });
    if (THINK_TIME > 0) {
        sleep(THINK_TIME);
    }
}

/**
 * teardown restores the rate limits setup() turned off.
 * @param {TokensData} data
 */
export function teardown(data) {
    restoreLimits(data.limits);
}
