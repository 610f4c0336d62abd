// api: the boxoffice REST calls the scenarios make, one function per route. Every request
// carries a `name` tag (the route pattern, so URLs with ids group into one series) and a
// `step` tag (the scenario step; thresholds select on it). A call made for a user takes its
// proof (an identity token from identity.js, sent as Authorization: Bearer): the join, holds,
// releases and payments with the Queue-Token too, balance and charges with the proof alone.

import http from 'k6/http';
import { check, sleep } from 'k6';
import { BASE_URL, ADMIN_KEY, THINK_TIME } from './config.js';
import { proofOf } from './identity.js';

/** @typedef {import('k6').JSONObject} JSONObject */
/** @typedef {import('k6').JSONValue} JSONValue */
/** @typedef {import('k6/http').Response} Response */
/** @typedef {import('k6/http').Params} Params */

/** Answers a hold may get besides 201 that are part of the game, not failures. */
const HOLD_EXPECTED = http.expectedStatuses(201, 409);

/**
 * params returns request parameters: JSON content type, the extra headers, and the
 * route pattern and step as tags.
 * @param {string} name route pattern, e.g. /api/v1/schedules/{scheduleId}/seats
 * @param {string} step scenario step
 * @param {{ [header: string]: string }} [headers]
 * @returns {Params}
 */
export function params(name, step, headers) {
    return {
        headers: Object.assign({ 'Content-Type': 'application/json' }, headers || {}),
        tags: { name, step },
    };
}

/**
 * bearer returns the Authorization header of proof.
 * @param {string} proof a session or an identity token
 * @returns {{ [header: string]: string }}
 */
export function bearer(proof) {
    return { Authorization: `Bearer ${proof}` };
}

/**
 * body returns the JSON object res carries, or null when the body is not a JSON object.
 * @param {Response} res
 * @returns {JSONObject | null}
 */
export function body(res) {
    if (typeof res.body !== 'string' || res.body.length === 0) {
        return null;
    }
    try {
        const v = res.json();
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
            return /** @type {JSONObject} */ (v);
        }
    } catch (e) {
        // Not JSON: the caller's checks report it.
    }
    return null;
}

/**
 * str returns field key of obj when it is a string, else ''.
 * @param {JSONObject | null} obj
 * @param {string} key
 * @returns {string}
 */
export function str(obj, key) {
    const v = obj ? obj[key] : undefined;
    return typeof v === 'string' ? v : '';
}

/**
 * num returns field key of obj when it is a number, else NaN.
 * @param {JSONObject | null} obj
 * @param {string} key
 * @returns {number}
 */
export function num(obj, key) {
    const v = obj ? obj[key] : undefined;
    return typeof v === 'number' ? v : NaN;
}

/**
 * list returns the array field key of obj as objects (non-objects dropped), else [].
 * @param {JSONObject | null} obj
 * @param {string} key
 * @returns {JSONObject[]}
 */
export function list(obj, key) {
    const v = obj ? obj[key] : undefined;
    if (!Array.isArray(v)) {
        return [];
    }
    /** @type {JSONObject[]} */
    const out = [];
    for (const item of v) {
        if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
            out.push(/** @type {JSONObject} */ (item));
        }
    }
    return out;
}

/**
 * errorCode returns the code of a REST error answer ({"error":{"code":...}}), else ''.
 * @param {Response} res
 * @returns {string}
 */
export function errorCode(res) {
    const b = body(res);
    const e = b ? b.error : undefined;
    if (e !== null && typeof e === 'object' && !Array.isArray(e)) {
        return str(/** @type {JSONObject} */ (e), 'code');
    }
    return '';
}

/**
 * issueToken takes a place in concert's queue for the user proof proves
 * (POST /api/v1/queue/tokens).
 * @param {string} proof
 * @param {number} concertId
 * @param {string} [step]
 * @returns {Response}
 */
export function issueToken(proof, concertId, step) {
    return http.post(`${BASE_URL}/api/v1/queue/tokens`, JSON.stringify({ concertId }),
        params('/api/v1/queue/tokens', step || 'join', bearer(proof)));
}

/**
 * tokenStatus asks for the state of token (GET /api/v1/queue/tokens/current).
 * @param {string} token
 * @param {string} [step]
 * @returns {Response}
 */
export function tokenStatus(token, step) {
    return http.get(`${BASE_URL}/api/v1/queue/tokens/current`,
        params('/api/v1/queue/tokens/current', step || 'poll', { 'Queue-Token': token }));
}

/**
 * concerts lists the catalog (GET /api/v1/concerts).
 * @returns {Response}
 */
export function concerts() {
    return http.get(`${BASE_URL}/api/v1/concerts`, params('/api/v1/concerts', 'catalog'));
}

/**
 * schedules lists a concert's dates with seats left (GET /api/v1/concerts/{id}/schedules).
 * @param {string} token
 * @param {number} concertId
 * @returns {Response}
 */
export function schedules(token, concertId) {
    return http.get(`${BASE_URL}/api/v1/concerts/${concertId}/schedules`,
        params('/api/v1/concerts/{concertId}/schedules', 'dates', { 'Queue-Token': token }));
}

/**
 * seatMap asks for the seats of a date (GET /api/v1/schedules/{id}/seats).
 * @param {string} token
 * @param {number} scheduleId
 * @returns {Response}
 */
export function seatMap(token, scheduleId) {
    return http.get(`${BASE_URL}/api/v1/schedules/${scheduleId}/seats`,
        params('/api/v1/schedules/{scheduleId}/seats', 'seatmap', { 'Queue-Token': token }));
}

/**
 * sections lists a venue date's sections with their seats left
 * (GET /api/v1/schedules/{id}/sections).
 * @param {string} token
 * @param {number} scheduleId
 * @returns {Response}
 */
export function sections(token, scheduleId) {
    return http.get(`${BASE_URL}/api/v1/schedules/${scheduleId}/sections`,
        params('/api/v1/schedules/{scheduleId}/sections', 'sections', { 'Queue-Token': token }));
}

/**
 * sectionMap asks for the seats of one section of a venue date
 * (GET /api/v1/schedules/{id}/seats?section=S, with compact &format=compact: one letter a seat).
 * @param {string} token
 * @param {number} scheduleId
 * @param {string} section
 * @param {boolean} compact
 * @returns {Response}
 */
export function sectionMap(token, scheduleId, section, compact) {
    const query = `section=${encodeURIComponent(section)}${compact ? '&format=compact' : ''}`;
    return http.get(`${BASE_URL}/api/v1/schedules/${scheduleId}/seats?${query}`,
        params('/api/v1/schedules/{scheduleId}/seats', 'sectionmap', { 'Queue-Token': token }));
}

/**
 * holdBest holds the best quantity seats together in a section
 * (POST /api/v1/reservations {"scheduleId","section","quantity","together":true}); 409
 * (SEAT_TAKEN: the race for that block was lost; NOT_ENOUGH_SEATS; HOLD_LIMIT) is expected and
 * does not count as a failed request.
 * @param {string} proof
 * @param {string} token
 * @param {number} scheduleId
 * @param {string} section
 * @param {number} quantity
 * @returns {Response}
 */
export function holdBest(proof, token, scheduleId, section, quantity) {
    const p = params('/api/v1/reservations', 'hold', Object.assign({ 'Queue-Token': token }, bearer(proof)));
    p.responseCallback = HOLD_EXPECTED;
    return http.post(`${BASE_URL}/api/v1/reservations`,
        JSON.stringify({ scheduleId, section, quantity, together: true }), p);
}

/**
 * hold holds a seat (POST /api/v1/reservations); 409 (SEAT_TAKEN, HOLD_LIMIT) is expected
 * under contention and does not count as a failed request.
 * @param {string} proof
 * @param {string} token
 * @param {number} scheduleId
 * @param {number} seatNo
 * @returns {Response}
 */
export function hold(proof, token, scheduleId, seatNo) {
    const p = params('/api/v1/reservations', 'hold', Object.assign({ 'Queue-Token': token }, bearer(proof)));
    p.responseCallback = HOLD_EXPECTED;
    return http.post(`${BASE_URL}/api/v1/reservations`, JSON.stringify({ scheduleId, seatNo }), p);
}

/**
 * release gives a hold back (DELETE /api/v1/reservations/{id}).
 * @param {string} proof
 * @param {string} token
 * @param {number} reservationId
 * @returns {Response}
 */
export function release(proof, token, reservationId) {
    return http.del(`${BASE_URL}/api/v1/reservations/${reservationId}`, null,
        params('/api/v1/reservations/{reservationId}', 'release',
            Object.assign({ 'Queue-Token': token }, bearer(proof))));
}

/**
 * charge adds points to the balance of userId, the user proof proves
 * (POST /api/v1/users/{id}/points/charges); key is the Idempotency-Key, so a retry charges
 * once. No Queue-Token: points belong to the account.
 * @param {string} proof
 * @param {number} userId
 * @param {number} amount
 * @param {string} key
 * @returns {Response}
 */
export function charge(proof, userId, amount, key) {
    return http.post(`${BASE_URL}/api/v1/users/${userId}/points/charges`, JSON.stringify({ amount }),
        params('/api/v1/users/{userId}/points/charges', 'charge',
            Object.assign({ 'Idempotency-Key': key }, bearer(proof))));
}

/**
 * balance asks for the balance of userId, the user proof proves (GET /api/v1/users/{id}/points).
 * @param {string} proof
 * @param {number} userId
 * @returns {Response}
 */
export function balance(proof, userId) {
    return http.get(`${BASE_URL}/api/v1/users/${userId}/points`,
        params('/api/v1/users/{userId}/points', 'balance', bearer(proof)));
}

/**
 * pay pays a held reservation from points (POST /api/v1/payments) under Idempotency-Key key.
 * @param {string} proof
 * @param {string} token
 * @param {number} reservationId
 * @param {string} key
 * @returns {Response}
 */
export function pay(proof, token, reservationId, key) {
    return http.post(`${BASE_URL}/api/v1/payments`, JSON.stringify({ reservationId }),
        params('/api/v1/payments', 'pay',
            Object.assign({ 'Queue-Token': token, 'Idempotency-Key': key }, bearer(proof))));
}

/**
 * keptToken is a read's aftermath for a VU that keeps one token (seats.js, bigmap.js): after
 * THINK_TIME, whether its token still holds; a 401 or 403 adds 1 to renewals (the VU joins
 * again).
 * @param {Response} res
 * @param {import('k6/metrics').Counter} renewals
 * @returns {boolean}
 */
export function keptToken(res, renewals) {
    const kept = res.status !== 401 && res.status !== 403;
    if (!kept) {
        renewals.add(1);
    }
    if (THINK_TIME > 0) {
        sleep(THINK_TIME);
    }
    return kept;
}

/**
 * setAdmission changes the admission settings (PUT /api/v1/admin/admission); fields left
 * out stay as they are.
 * @param {{ ratePerSecond?: number, maxActive?: number, tokenTtlSeconds?: number, holdTtlSeconds?: number }} settings
 * @returns {Response}
 */
export function setAdmission(settings) {
    return http.put(`${BASE_URL}/api/v1/admin/admission`, JSON.stringify(settings),
        params('/api/v1/admin/admission', 'admin', { 'Admin-Key': ADMIN_KEY }));
}

/**
 * limits reads the rate limits (GET /api/v1/admin/limits): every limit by name, per minute,
 * 0 = off.
 * @returns {Response}
 */
export function limits() {
    return http.get(`${BASE_URL}/api/v1/admin/limits`,
        params('/api/v1/admin/limits', 'admin', { 'Admin-Key': ADMIN_KEY }));
}

/**
 * setLimits changes the rate limits given (PATCH /api/v1/admin/limits); the others stay.
 * @param {{ [name: string]: number }} values
 * @returns {Response}
 */
export function setLimits(values) {
    return http.patch(`${BASE_URL}/api/v1/admin/limits`, JSON.stringify(values),
        params('/api/v1/admin/limits', 'admin', { 'Admin-Key': ADMIN_KEY }));
}

/**
 * limitsOff, when ADMIN_KEY is set, turns every rate limit off for the run (VUs share one
 * client address and would be throttled as one) and returns the limits it found, for
 * restoreLimits in teardown(); null when it changed nothing.
 * @returns {{ [name: string]: number } | null}
 */
export function limitsOff() {
    if (!ADMIN_KEY) {
        return null;
    }
    const b = body(limits());
    if (b === null) {
        check(b, { 'admin: rate limits read': () => false });
        return null;
    }
    /** @type {{ [name: string]: number }} */
    const saved = {};
    /** @type {{ [name: string]: number }} */
    const off = {};
    for (const name of Object.keys(b)) {
        saved[name] = num(b, name);
        off[name] = 0;
    }
    const res = setLimits(off);
    check(res, { 'admin: rate limits off': (r) => r.status === 200 });
    return saved;
}

/**
 * restoreLimits puts back the limits limitsOff found (nothing when saved is null).
 * @param {{ [name: string]: number } | null} saved
 */
export function restoreLimits(saved) {
    if (saved !== null) {
        check(setLimits(saved), { 'admin: rate limits restored': (r) => r.status === 200 });
    }
}

/**
 * createConcert adds a concert (POST /api/v1/admin/concerts); answers {"id",...}.
 * @param {string} title
 * @returns {Response}
 */
export function createConcert(title) {
    return http.post(`${BASE_URL}/api/v1/admin/concerts`,
        JSON.stringify({ title, artist: 'k6', venue: 'Load Test Hall' }),
        params('/api/v1/admin/concerts', 'admin', { 'Admin-Key': ADMIN_KEY }));
}

/**
 * createSchedule adds a date with 50 seats at price to a concert
 * (POST /api/v1/admin/concerts/{id}/schedules); answers {"id",...}.
 * @param {number} concertId
 * @param {string} startsAt RFC 3339 UTC
 * @param {number} price
 * @returns {Response}
 */
export function createSchedule(concertId, startsAt, price) {
    return http.post(`${BASE_URL}/api/v1/admin/concerts/${concertId}/schedules`,
        JSON.stringify({ startsAt, price }),
        params('/api/v1/admin/concerts/{concertId}/schedules', 'admin', { 'Admin-Key': ADMIN_KEY }));
}

/**
 * A venue section: rows x seatsPerRow seats at one price.
 * @typedef {{ name: string, rows: number, seatsPerRow: number, price: number }} VenueSection
 */

/**
 * createVenue adds a venue of sections (POST /api/v1/admin/venues); answers {"id",...}.
 * @param {string} name
 * @param {VenueSection[]} venueSections
 * @returns {Response}
 */
export function createVenue(name, venueSections) {
    return http.post(`${BASE_URL}/api/v1/admin/venues`, JSON.stringify({ name, sections: venueSections }),
        params('/api/v1/admin/venues', 'admin', { 'Admin-Key': ADMIN_KEY }));
}

/**
 * createVenueSchedule adds a date on a venue to a concert, its seats and prices the venue's
 * (POST /api/v1/admin/concerts/{id}/schedules {"startsAt","venueId"}); answers {"id",...}.
 * @param {number} concertId
 * @param {string} startsAt RFC 3339 UTC
 * @param {number} venueId
 * @returns {Response}
 */
export function createVenueSchedule(concertId, startsAt, venueId) {
    return http.post(`${BASE_URL}/api/v1/admin/concerts/${concertId}/schedules`,
        JSON.stringify({ startsAt, venueId }),
        params('/api/v1/admin/concerts/{concertId}/schedules', 'admin', { 'Admin-Key': ADMIN_KEY }));
}

/**
 * raiseAdmission, when ADMIN_KEY is set, raises the admission rate and the cap on ACTIVE
 * tokens so vus VUs are admitted within a second or two (ADMISSION_RATE and MAX_ACTIVE
 * override). Returns whether it changed anything.
 * @param {number} vus
 * @returns {boolean}
 */
export function raiseAdmission(vus) {
    if (!ADMIN_KEY) {
        return false;
    }
    const rate = Number(__ENV.ADMISSION_RATE || Math.max(1000, vus));
    const maxActive = Number(__ENV.MAX_ACTIVE || Math.max(5000, 4 * vus));
    const res = setAdmission({ ratePerSecond: rate, maxActive });
    check(res, { 'admin: admission settings raised': (r) => r.status === 200 });
    return res.status === 200;
}

/**
 * admitted joins concert's queue as user (with its identity token) and polls until the token
 * is ACTIVE (or timeoutS passes). Returns the token, or '' when it was not admitted. Polls as
 * often as the answer's etaSeconds suggests, between 0.1 s and 2 s.
 * @param {number} userId
 * @param {number} concertId
 * @param {number} timeoutS
 * @returns {string}
 */
export function admitted(userId, concertId, timeoutS) {
    const res = issueToken(proofOf(userId), concertId);
    const b = body(res);
    const ok = check(res, {
        'join: status 200/201': (r) => r.status === 200 || r.status === 201,
        'join: token issued': () => str(b, 'token') !== '',
    });
    if (!ok) {
        return '';
    }
    const token = str(b, 'token');
    let status = str(b, 'status');
    let eta = num(b, 'etaSeconds');
    const deadline = Date.now() + timeoutS * 1000;
    while (status === 'WAITING' && Date.now() < deadline) {
        sleep(Math.min(2, Math.max(0.1, Number.isFinite(eta) ? eta / 2 : 0.25)));
        const r = tokenStatus(token);
        const rb = body(r);
        check(r, { 'poll: status 200': (x) => x.status === 200 });
        status = str(rb, 'status');
        eta = num(rb, 'etaSeconds');
    }
    check(status, { 'join: admitted (ACTIVE)': (s) => s === 'ACTIVE' });
    return status === 'ACTIVE' ? token : '';
}
