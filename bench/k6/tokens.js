// tokens: scenario 2, concurrent queue entry. Every iteration takes a place in a queue
// for a random user (1..USERS) and concert (1..CONCERTS): a new token, or the same one when
// that user already holds a live token for the concert. DESIGN: token issue p99 <= 50 ms.
//
//   k6 run -e TEST_TYPE=peak tokens.js

import { check, sleep } from 'k6';
import { testOptions, maxVus, testType, THINK_TIME, USERS, CONCERTS } from './lib/config.js';
import { body, issueToken, num, raiseAdmission, str } from './lib/api.js';

export const options = testOptions('tokens', {
    'http_req_duration{step:join}': ['p(95)<30', 'p(99)<=50'],
    checks: ['rate>0.99'],
});

export function setup() {
    raiseAdmission(maxVus(testType()));
}

export default function () {
    const userId = 1 + Math.floor(Math.random() * USERS);
    const concertId = 1 + Math.floor(Math.random() * CONCERTS);
    const res = issueToken(userId, concertId);
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
