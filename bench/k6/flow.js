// flow: scenario 3, the whole purchase. Each VU is one user who, every iteration, joins the
// queue (the same live token while it lasts), polls until admitted, lists the concert's
// dates, looks at a date's seats, holds an AVAILABLE seat (409 SEAT_TAKEN is expected under
// contention: try another), charges the seat's price in points (Idempotency-Key) and pays
// (Idempotency-Key), which ends the token. Every step is checked. Once every seat is sold
// the VUs keep joining and finding no dates (flow_sold_out counts those iterations); a hold
// that cannot be paid is released.
//
// The user proves who it is with its identity token (lib/identity.js, JWT_SECRET): the join
// with it alone, hold, release and pay with it and the Queue-Token, the charge with it alone.
//
// With ADMIN_KEY, setup() raises the admission settings, turns the rate limits off and
// creates a fresh concert with FLOW_SCHEDULES dates (default 40, i.e. 2,000 seats) so runs
// do not sell out the demo data; FLOW_NEW_CONCERT=0 uses the demo concerts 1..3 instead (as
// without ADMIN_KEY). teardown() checks the seat maps stay consistent: every seat AVAILABLE,
// HELD or SOLD, and each date's availableSeats equal to its AVAILABLE seats; then it restores
// the rate limits.
//
//   k6 run -e TEST_TYPE=load -e ADMIN_KEY=$(cat var/admin.key) -e JWT_SECRET=$(cat var/jwt.secret) flow.js

import { check, group, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import { ADMIN_KEY, CONCERTS, THINK_TIME, USERS, maxVus, numberEnv, testOptions, testType } from './lib/config.js';
import {
    admitted, body, charge, createConcert, createSchedule, errorCode, hold, limitsOff, list, num,
    pay, raiseAdmission, release, restoreLimits, schedules, seatMap, str,
} from './lib/api.js';
import { proofOf } from './lib/identity.js';

export const options = testOptions('flow', {
    'http_req_duration{step:seatmap}': ['p(95)<20'],
    'http_req_duration{step:join}': ['p(95)<50'],
    'http_req_duration{step:hold}': ['p(95)<100'],
    'http_req_duration{step:pay}': ['p(95)<200'],
    checks: ['rate>0.99'],
});

/** Purchases completed (paid). */
const completed = new Counter('flow_completed');
/** Holds refused with SEAT_TAKEN (another user was quicker): expected, retried. */
const seatTaken = new Counter('flow_seat_taken');
/** Holds refused with HOLD_LIMIT (this user still holds a seat on that date). */
const holdLimit = new Counter('flow_hold_limit');
/** Iterations that found no date with seats left. */
const soldOut = new Counter('flow_sold_out');
/** Time from joining the queue to ACTIVE, in ms. */
const admissionWait = new Trend('flow_admission_wait', true);
/** Time of a whole purchase (join to paid), in ms. */
const purchaseTime = new Trend('flow_purchase_time', true);

/** How many seats one iteration tries before it gives up. */
const HOLD_ATTEMPTS = 5;

/**
 * @typedef {object} FlowData
 * @property {number[]} concertIds the concerts the users buy from
 * @property {number} userOffset VU n is user userOffset+n (mod USERS)
 * @property {{ [name: string]: number } | null} limits the rate limits setup() turned off
 */

/**
 * setup raises the admission settings, turns the rate limits off and, with ADMIN_KEY, creates
 * the concert to sell.
 * @returns {FlowData}
 */
export function setup() {
    raiseAdmission(maxVus(testType()));
    const limits = limitsOff();
    /** @type {number[]} */
    let concertIds = [];
    for (let c = 1; c <= CONCERTS; c++) {
        concertIds.push(c);
    }
    if (ADMIN_KEY && __ENV.FLOW_NEW_CONCERT !== '0') {
        const res = createConcert(`k6 flow ${new Date().toISOString()}`);
        const id = num(body(res), 'id');
        check(res, { 'admin: concert created': (r) => r.status === 201 && id > 0 });
        if (id > 0) {
            const dates = numberEnv('FLOW_SCHEDULES', 40);
            for (let d = 0; d < dates; d++) {
                const startsAt = new Date(Date.UTC(2030, 0, 1 + d, 19, 0, 0)).toISOString()
                    .replace(/\.\d{3}Z$/, 'Z');
                const r = createSchedule(id, startsAt, 100000 + 1000 * (d % 10));
                check(r, { 'admin: date created': (x) => x.status === 201 });
            }
            concertIds = [id];
        }
    }
    // Other users than the last run's unless USER_OFFSET says otherwise.
    const userOffset = __ENV.USER_OFFSET !== undefined ? Number(__ENV.USER_OFFSET)
        : Math.floor(Date.now() / 1000) % USERS;
    return { concertIds, userOffset, limits };
}

/**
 * pick returns a random element of items.
 * @template T
 * @param {T[]} items non-empty
 * @returns {T}
 */
function pick(items) {
    return items[Math.floor(Math.random() * items.length)];
}

/**
 * @param {FlowData} data
 */
export default function (data) {
    const vu = exec.vu.idInTest;
    const userId = 1 + ((data.userOffset + vu - 1) % USERS);
    const concertId = data.concertIds[(vu - 1) % data.concertIds.length];
    const proof = proofOf(userId);
    const started = Date.now();

    const token = group('join', () => {
        const t = admitted(userId, concertId, 120);
        if (t !== '') {
            admissionWait.add(Date.now() - started);
        }
        return t;
    });
    if (token === '') {
        sleep(1);
        return;
    }

    /** @type {number[]} */
    const dates = group('dates', () => {
        const res = schedules(token, concertId);
        const b = body(res);
        check(res, {
            'dates: status 200': (r) => r.status === 200,
            'dates: listed': () => Array.isArray(b ? b.schedules : undefined),
        });
        return list(b, 'schedules').filter((s) => num(s, 'availableSeats') > 0).map((s) => num(s, 'id'));
    });
    if (dates.length === 0) {
        soldOut.add(1);
        sleep(1);
        return;
    }

    /** @type {{ reservationId: number, price: number } | null} */
    const held = group('hold', () => {
        for (let attempt = 0; attempt < HOLD_ATTEMPTS; attempt++) {
            const scheduleId = pick(dates);
            const res = seatMap(token, scheduleId);
            const b = body(res);
            const free = list(b, 'seats').filter((s) => str(s, 'status') === 'AVAILABLE');
            check(res, { 'seats: status 200': (r) => r.status === 200 });
            if (free.length === 0) {
                continue;
            }
            const seatNo = num(pick(free), 'seatNo');
            const h = hold(proof, token, scheduleId, seatNo);
            const code = h.status === 409 ? errorCode(h) : '';
            if (code === 'SEAT_TAKEN') {
                seatTaken.add(1);
                continue;
            }
            if (code === 'HOLD_LIMIT') {
                // An earlier hold of this user on this date, not yet paid or expired.
                holdLimit.add(1);
                continue;
            }
            const hb = body(h);
            const ok = check(h, {
                'hold: status 201': (r) => r.status === 201,
                'hold: HELD': () => str(hb, 'status') === 'HELD',
                'hold: price and expiry': () => num(hb, 'price') >= 0 && str(hb, 'expiresAt') !== '',
            });
            return ok ? { reservationId: num(hb, 'reservationId'), price: num(hb, 'price') } : null;
        }
        return null;
    });
    if (held === null) {
        return;
    }

    const charged = group('charge', () => {
        const res = charge(proof, userId, Math.max(held.price, 1), `k6-charge-${userId}-${held.reservationId}`);
        const b = body(res);
        return check(res, {
            'charge: status 200/201': (r) => r.status === 200 || r.status === 201,
            'charge: balance covers the price': () => num(b, 'balance') >= held.price,
        });
    });
    if (!charged) {
        release(proof, token, held.reservationId);
        return;
    }

    group('pay', () => {
        const res = pay(proof, token, held.reservationId, `k6-pay-${held.reservationId}`);
        const b = body(res);
        const ok = check(res, {
            'pay: status 200/201': (r) => r.status === 200 || r.status === 201,
            'pay: COMPLETED': () => str(b, 'status') === 'COMPLETED',
            'pay: amount is the price': () => num(b, 'amount') === held.price,
            'pay: balance not negative': () => num(b, 'balance') >= 0,
        });
        if (ok) {
            completed.add(1);
            purchaseTime.add(Date.now() - started);
        } else if (res.status >= 400) {
            release(proof, token, held.reservationId);
        }
    });
    if (THINK_TIME > 0) {
        sleep(THINK_TIME);
    }
}

/**
 * teardown checks the sold concert's seat maps are consistent after the run, then restores
 * the rate limits.
 * @param {FlowData} data
 */
export function teardown(data) {
    for (const concertId of data.concertIds) {
        const token = admitted(1 + ((data.userOffset + USERS - 1) % USERS), concertId, 60);
        if (token === '') {
            continue;
        }
        const dates = list(body(schedules(token, concertId)), 'schedules');
        for (const d of dates) {
            const scheduleId = num(d, 'id');
            const seats = list(body(seatMap(token, scheduleId)), 'seats');
            const available = seats.filter((s) => str(s, 'status') === 'AVAILABLE').length;
            const known = seats.filter((s) => ['AVAILABLE', 'HELD', 'SOLD'].includes(str(s, 'status'))).length;
            check(seats, {
                'after: 50 seats per date, each AVAILABLE, HELD or SOLD': () => seats.length === 50 && known === 50,
                'after: availableSeats matches the seat map': () => num(d, 'availableSeats') === available,
            });
        }
    }
    restoreLimits(data.limits);
}
