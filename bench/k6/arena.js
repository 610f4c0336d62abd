// arena: issue 11's purchase with best available. Each VU is one user who, every iteration,
// joins the queue of a concert on a venue (the same live token while it lasts), polls until
// admitted, lists the concert's dates, picks one with at least 2 seats left, lists its
// sections, picks one with at least 2 left at random and holds the best 2 seats together in it
// ({"scheduleId","section","quantity":2,"together":true}); 409 SEAT_TAKEN (another buyer won
// the race for that block: arena_seat_taken) tries the same section again, 409
// NOT_ENOUGH_SEATS (arena_not_enough_seats) another section. Then it charges the hold's price
// and pays it, each with an Idempotency-Key. Every step is checked.
//
// With ADMIN_KEY, setup() makes a venue of sections A..J of 20 rows x 100 seats and
// ARENA_DATES dates on it (default 4, 80,000 seats: raise it for long or big runs so the run
// never sells out) of a concert of its own (lib/venue.js); without, the seed's arena. teardown()
// checks every section's compact map against its availableSeats, then restores the limits.
//
//   k6 run -e TEST_TYPE=load -e ADMIN_KEY=$(cat var/admin.key) -e JWT_SECRET=$(cat var/jwt.secret) arena.js

import { check, group, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import { ADMIN_KEY, THINK_TIME, USERS, maxVus, numberEnv, testOptions, testType } from './lib/config.js';
import {
    admitted, body, charge, errorCode, holdBest, limitsOff, list, num, pay, raiseAdmission, release,
    restoreLimits, schedules, sectionMap, sections, str,
} from './lib/api.js';
import { proofOf } from './lib/identity.js';
import { SEED_ARENA, venueDates } from './lib/venue.js';

export const options = testOptions('arena', {
    'http_req_duration{step:sections}': ['p(95)<50'],
    'http_req_duration{step:hold}': ['p(95)<100'],
    'http_req_duration{step:pay}': ['p(95)<200'],
    checks: ['rate>0.99'],
});

/** Seats a purchase holds, together. */
const QUANTITY = 2;
/** Holds one iteration tries before it gives up. */
const HOLD_ATTEMPTS = 8;

/** Purchases completed (paid): each sold QUANTITY seats. */
const completed = new Counter('arena_completed');
/** Best-available holds that lost their race (SEAT_TAKEN): expected, retried. */
const seatTaken = new Counter('arena_seat_taken');
/** Best-available holds refused NOT_ENOUGH_SEATS: another section is tried. */
const notEnough = new Counter('arena_not_enough_seats');
/** Iterations that found no date or section with QUANTITY seats left. */
const nothingLeft = new Counter('arena_nothing_left');

/**
 * @typedef {object} ArenaData
 * @property {number} concertId the concert on the venue
 * @property {number} userOffset VU n is user userOffset+n (mod USERS)
 * @property {{ [name: string]: number } | null} limits the rate limits setup() turned off
 */

/**
 * setup raises the admission settings, turns the rate limits off and, with ADMIN_KEY, makes
 * the venue and the dates to sell.
 * @returns {ArenaData}
 */
export function setup() {
    raiseAdmission(maxVus(testType()));
    const limits = limitsOff();
    const made = ADMIN_KEY ? venueDates(`k6 arena ${new Date().toISOString()}`, numberEnv('ARENA_DATES', 4)) : null;
    const userOffset = __ENV.USER_OFFSET !== undefined ? Number(__ENV.USER_OFFSET)
        : Math.floor(Date.now() / 1000) % USERS;
    return { concertId: (made || SEED_ARENA).concertId, userOffset, limits };
}

/**
 * pick returns a random element of items, or null when it is empty.
 * @template T
 * @param {T[]} items
 * @returns {T | null}
 */
function pick(items) {
    return items.length > 0 ? items[Math.floor(Math.random() * items.length)] : null;
}

/**
 * bestHold holds QUANTITY seats together on one of the concert's dates (see the top).
 * @param {string} proof
 * @param {string} token
 * @param {number} concertId
 * @returns {{ reservationId: number, price: number } | null}
 */
function bestHold(proof, token, concertId) {
    const res = schedules(token, concertId);
    const dates = list(body(res), 'schedules').filter((s) => num(s, 'availableSeats') >= QUANTITY)
        .map((s) => num(s, 'id'));
    check(res, { 'dates: status 200': (r) => r.status === 200 });
    const scheduleId = pick(dates);
    if (scheduleId === null) {
        nothingLeft.add(1);
        return null;
    }
    let skip = '';
    let section = '';
    for (let attempt = 0; attempt < HOLD_ATTEMPTS; attempt++) {
        if (section === '') {
            const s = sections(token, scheduleId);
            check(s, { 'sections: status 200': (r) => r.status === 200 });
            section = pick(list(body(s), 'sections')
                .filter((x) => num(x, 'availableSeats') >= QUANTITY && str(x, 'name') !== skip)
                .map((x) => str(x, 'name'))) || '';
            if (section === '') {
                nothingLeft.add(1);
                return null;
            }
        }
        const h = holdBest(proof, token, scheduleId, section, QUANTITY);
        const code = h.status === 409 ? errorCode(h) : '';
        if (code === 'SEAT_TAKEN') {
            seatTaken.add(1);
            continue;
        }
        if (code === 'NOT_ENOUGH_SEATS') {
            notEnough.add(1);
            skip = section;
            section = '';
            continue;
        }
        const hb = body(h);
        const ok = check(h, {
            'hold: status 201': (r) => r.status === 201,
            'hold: HELD': () => str(hb, 'status') === 'HELD',
            'hold: 2 seats together': () => list(hb, 'seats').length === QUANTITY,
        });
        return ok ? { reservationId: num(hb, 'reservationId'), price: num(hb, 'price') } : null;
    }
    return null;
}

/**
 * @param {ArenaData} data
 */
export default function (data) {
    const vu = exec.vu.idInTest;
    const userId = 1 + ((data.userOffset + vu - 1) % USERS);
    const proof = proofOf(userId);

    const token = group('join', () => admitted(userId, data.concertId, 120));
    if (token === '') {
        sleep(1);
        return;
    }
    const held = group('hold', () => bestHold(proof, token, data.concertId));
    if (held === null) {
        sleep(1);
        return;
    }
    const charged = group('charge', () => {
        const res = charge(proof, userId, Math.max(held.price, 1), `k6-arena-charge-${userId}-${held.reservationId}`);
        return check(res, { 'charge: status 200/201': (r) => r.status === 200 || r.status === 201 });
    });
    if (!charged) {
        release(proof, token, held.reservationId);
        return;
    }
    group('pay', () => {
        const res = pay(proof, token, held.reservationId, `k6-arena-pay-${held.reservationId}`);
        const b = body(res);
        const ok = check(res, {
            'pay: status 200/201': (r) => r.status === 200 || r.status === 201,
            'pay: COMPLETED': () => str(b, 'status') === 'COMPLETED',
            'pay: amount is the price': () => num(b, 'amount') === held.price,
        });
        if (ok) {
            completed.add(1);
        } else if (res.status >= 400) {
            release(proof, token, held.reservationId);
        }
    });
    if (THINK_TIME > 0) {
        sleep(THINK_TIME);
    }
}

/**
 * teardown checks every section's compact map of the concert's dates against its
 * availableSeats, then restores the rate limits.
 * @param {ArenaData} data
 */
export function teardown(data) {
    const token = admitted(1 + ((data.userOffset + USERS - 1) % USERS), data.concertId, 60);
    if (token !== '') {
        for (const d of list(body(schedules(token, data.concertId)), 'schedules')) {
            const scheduleId = num(d, 'id');
            for (const s of list(body(sections(token, scheduleId)), 'sections')) {
                const letters = str(body(sectionMap(token, scheduleId, str(s, 'name'), true)), 'statuses');
                const available = letters.split('').filter((c) => c === 'A').length;
                check(letters, {
                    'after: a letter per seat': () => letters.length === num(s, 'totalSeats'),
                    'after: availableSeats matches the compact map': () => num(s, 'availableSeats') === available,
                });
            }
        }
    }
    restoreLimits(data.limits);
}
