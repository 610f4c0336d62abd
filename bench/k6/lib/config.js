// config: what every boxoffice k6 script shares: the test type (load, soak, stress, peak)
// chosen by TEST_TYPE, the base URL, the admin key, thresholds and the summary statistics.
//
// Environment (k6 -e NAME=value, or the process environment):
//   TEST_TYPE      load (default: 100 VUs, 1 min), soak (50 VUs, 3 min), stress (ramping VUs
//                  0 -> 300 over 5 min), peak (1,000 VUs at once for 30 s)
//   BASE_URL       the bridge, default http://127.0.0.1:8080
//   ADMIN_KEY      when set, setup() raises the admission settings (ADMISSION_RATE,
//                  MAX_ACTIVE) so the VUs get admitted quickly and turns the rate limits
//                  off; teardown() restores the limits
//   JWT_SECRET     the operator identity secret (var/jwt.secret): every VU proves its user
//                  with an HS256 token minted with it (lib/identity.js)
//   SOAK_DURATION  soak duration (default 3m)
//   DURATION, VUS  override the duration / VU count of load, soak and peak (quick runs)
//   THINK_TIME     seconds a VU sleeps between iterations (default 0)
//   RUN_ID         tags every sample with run=RUN_ID (InfluxDB / Grafana)

/** @typedef {import('k6/options').Options} Options */
/** @typedef {import('k6/options').Scenario} Scenario */
/** @typedef {import('k6/options').Threshold} Threshold */

/** @typedef {'load' | 'soak' | 'stress' | 'peak'} TestType */

/** The test types and the VUs / duration each one runs. */
export const TEST_TYPES = /** @type {const} */ (['load', 'soak', 'stress', 'peak']);

/** @type {string} */
export const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');

/** @type {string} */
export const ADMIN_KEY = __ENV.ADMIN_KEY || '';

/** @type {number} */
export const THINK_TIME = numberEnv('THINK_TIME', 0);

/** Demo data (db/seed.sql): users 1..100000, concerts 1..3 with schedules 5c-4..5c. */
export const USERS = numberEnv('USERS', 100000);
export const CONCERTS = numberEnv('CONCERTS', 3);
export const SCHEDULES_PER_CONCERT = 5;

/** Statistics the end-of-test summary shows for every trend (latencies). */
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max', 'count'];

/**
 * numberEnv returns the environment variable name as a number, or fallback when unset.
 * @param {string} name
 * @param {number} fallback
 * @returns {number}
 */
export function numberEnv(name, fallback) {
    const raw = __ENV[name];
    if (raw === undefined || raw === '') {
        return fallback;
    }
    const n = Number(raw);
    if (!Number.isFinite(n)) {
        throw new Error(`${name} must be a number, not '${raw}'`);
    }
    return n;
}

/**
 * testType returns the validated TEST_TYPE (default load).
 * @returns {TestType}
 */
export function testType() {
    const t = __ENV.TEST_TYPE || 'load';
    for (const known of TEST_TYPES) {
        if (known === t) {
            return known;
        }
    }
    throw new Error(`TEST_TYPE must be one of ${TEST_TYPES.join(', ')}, not '${t}'`);
}

/**
 * scenarioFor returns the k6 scenario (executor, VUs, duration or stages) of a test type.
 * @param {TestType} type
 * @param {string} exec name of the exported function the scenario runs
 * @returns {Scenario}
 */
export function scenarioFor(type, exec) {
    const tags = { type };
    switch (type) {
    case 'load':
        return { executor: 'constant-vus', exec, tags, vus: numberEnv('VUS', 100),
            duration: __ENV.DURATION || '1m' };
    case 'soak':
        return { executor: 'constant-vus', exec, tags, vus: numberEnv('VUS', 50),
            duration: __ENV.DURATION || __ENV.SOAK_DURATION || '3m' };
    case 'stress':
        return { executor: 'ramping-vus', exec, tags, startVUs: 0,
            stages: [{ duration: __ENV.DURATION || '5m', target: numberEnv('VUS', 300) }],
            gracefulRampDown: '10s' };
    case 'peak':
        return { executor: 'constant-vus', exec, tags, vus: numberEnv('VUS', 1000),
            duration: __ENV.DURATION || '30s' };
    }
    throw new Error(`unknown test type ${type}`);
}

/**
 * maxVus returns the most VUs a test type runs at once (to size the admission settings).
 * @param {TestType} type
 * @returns {number}
 */
export function maxVus(type) {
    const defaults = { load: 100, soak: 50, stress: 300, peak: 1000 };
    return numberEnv('VUS', defaults[type]);
}

/**
 * runTags returns the tags every sample carries: tool=k6, the test type and, when RUN_ID
 * is set, the run (so Grafana can tell runs apart like the native bench's).
 * @param {TestType} type
 * @returns {{ [name: string]: string }}
 */
export function runTags(type) {
    /** @type {{ [name: string]: string }} */
    const tags = { tool: 'k6', type };
    if (__ENV.RUN_ID) {
        tags.run = __ENV.RUN_ID;
    }
    return tags;
}

/**
 * testOptions builds a script's options: one scenario named after the script running its
 * default function under the chosen test type, the shared failure-rate threshold plus the
 * script's own latency thresholds, and the summary statistics.
 * @param {string} name scenario name (seats, tokens, flow)
 * @param {{ [metric: string]: Threshold[] }} thresholds the script's thresholds
 * @returns {Options}
 */
export function testOptions(name, thresholds) {
    const type = testType();
    /** @type {{ [name: string]: Scenario }} */
    const scenarios = {};
    scenarios[name] = scenarioFor(type, 'default');
    return {
        scenarios,
        thresholds: Object.assign({ http_req_failed: ['rate<0.01'] }, thresholds),
        summaryTrendStats: SUMMARY_TREND_STATS,
        setupTimeout: '120s',
        teardownTimeout: '60s',
        // Tags on every sample, as the native bench writes them to InfluxDB (k6 adds
        // `scenario` itself: the scenario is named after the script).
        tags: runTags(type),
    };
}
