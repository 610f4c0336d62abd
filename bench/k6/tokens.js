// tokens: scenario 2, concurrent queue entry. Every iteration takes a new place in a queue:
// with ADMIN_KEY, setup() creates concerts of the run's own (TOKEN_CONCERTS, by default
// enough for TOKEN_RATE_MAX issues a second over the test type's duration), and iteration i
// (counted over the whole test) joins as user 1 + (i mod USERS) the concert i / USERS, so
// every user joins the first concert, then the next. Issuing again for a user who holds a
// live token returns that token (no new entry, no admission), so a random user of concerts
// 1..CONCERTS, as without ADMIN_KEY, mostly measures re-issues after the first USERS
// iterations. DESIGN: token issue p99 <= 50 ms.
//
//   k6 run -e TEST_TYPE=peak -e JWT_SECRET=$(cat var/jwt.secret) -e ADMIN_KEY=$(cat var/admin.key) tokens.js

import { check, sleep } from 'k6';
import exec from 'k6/execution';
import {
    ADMIN_KEY, CONCERTS, maxVus, numberEnv, testOptions, testType, THINK_TIME, USERS,
} from './lib/config.js';
import {
    body, createConcert, issueToken, limitsOff, num, raiseAdmission, restoreLimits, str,
} from './lib/api.js';
import { proofOf } from './lib/identity.js';

// The most issues a second the run's own concerts are sized for (bench/run's TOKEN_RATE_MAX).
const TOKEN_RATE_MAX = numberEnv('TOKEN_RATE_MAX', 30000);

export const options = testOptions('tokens', {
    'http_req_duration{step:join}': ['p(95)<30', 'p(99)<=50'],
    checks: ['rate>0.99'],
});

/**
 * @typedef {object} TokensData
 * @property {number[]} concertIds the run's own concerts, joined in turn; empty: 1..CONCERTS
 * @property {{ [name: string]: number } | null} limits the rate limits setup() turned off
 */

/**
 * seconds reads a k6 duration such as '90s', '1m', '1h30m' (0 when it is not one).
 * @param {string} text
 * @returns {number}
 */
function seconds(text) {
    const parts = text.match(/\d+(?:h|m|s)/g);
    if (parts === null || parts.join('') !== text) {
        return 0;
    }
    let total = 0;
    for (const p of parts) {
        const unit = p.endsWith('h') ? 3600 : p.endsWith('m') ? 60 : 1;
        total += parseInt(p, 10) * unit;
    }
    return total;
}

/**
 * runSeconds returns how long the test type runs (DURATION, or the type's own).
 * @returns {number}
 */
function runSeconds() {
    const type = testType();
    const own = { load: 60, soak: seconds(__ENV.SOAK_DURATION || '3m'), stress: 300, peak: 30 };
    return seconds(__ENV.DURATION || '') || own[type] || 60;
}

/**
 * setup raises the admission settings and turns the rate limits off (with ADMIN_KEY), and
 * creates the run's own concerts.
 * @returns {TokensData}
 */
export function setup() {
    raiseAdmission(maxVus(testType()));
    const limits = limitsOff();
    /** @type {number[]} */
    const concertIds = [];
    if (ADMIN_KEY) {
        const n = numberEnv('TOKEN_CONCERTS',
            Math.ceil((TOKEN_RATE_MAX * runSeconds()) / USERS) + 1);
        const stamp = new Date().toISOString();
        for (let k = 1; k <= n; k++) {
            const res = createConcert(`k6 tokens ${stamp} #${k}`);
            const id = num(body(res), 'id');
            check(res, { 'admin: concert created': (r) => r.status === 201 && id > 0 });
            if (id > 0) {
                concertIds.push(id);
            }
        }
    }
    return { concertIds, limits };
}

/**
 * @param {TokensData} data
 */
export default function (data) {
    const i = exec.scenario.iterationInTest;
    let userId = 1 + Math.floor(Math.random() * USERS);
    let concertId = 1 + Math.floor(Math.random() * CONCERTS);
    if (data.concertIds.length > 0) {
        userId = 1 + (i % USERS);
        concertId = data.concertIds[Math.floor(i / USERS) % data.concertIds.length];
    }
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
