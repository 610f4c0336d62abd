// identity: the operator identity tokens the VUs prove their users with. Each is an HS256
// JWT {"sub":"<userId>","exp":...} minted here, in the script, with the service's operator
// secret (JWT_SECRET: the text of var/jwt.secret, which `./boxoffice up` writes), so no VU
// logs in (no password hashing per virtual user). A VU keeps the tokens it minted until
// they are close to their expiry.
//
// Environment:
//   JWT_SECRET       the HS256 key (required by every script)
//   JWT_TTL_SECONDS  how long a minted token lasts (default 7200: longer than any test type)

import { hmac } from 'k6/crypto';
import { b64encode } from 'k6/encoding';
import { numberEnv } from './config.js';

/** @type {string} */
const JWT_SECRET = __ENV.JWT_SECRET || '';

/** How long a token lasts, and how long before its expiry a VU mints a new one (s). */
const TTL_SECONDS = numberEnv('JWT_TTL_SECONDS', 7200);
const RENEW_BEFORE_SECONDS = 60;

/** The most tokens a VU keeps (tokens.js draws from every user: they are not all kept). */
const KEEP = 1000;

/** The encoded JOSE header every token carries. */
const HEADER = b64encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' }), 'rawurl');

/** This VU's tokens by user id. @type {Map<number, { jwt: string, exp: number }>} */
const minted = new Map();

/**
 * mintJwt returns the HS256 JWT of userId expiring at exp (Unix seconds), signed with
 * JWT_SECRET.
 * @param {number} userId
 * @param {number} exp
 * @returns {string}
 */
export function mintJwt(userId, exp) {
    if (JWT_SECRET === '') {
        throw new Error('JWT_SECRET is not set: pass -e JWT_SECRET=$(cat var/jwt.secret)');
    }
    const payload = b64encode(JSON.stringify({ sub: String(userId), exp }), 'rawurl');
    const input = `${HEADER}.${payload}`;
    return `${input}.${b64encode(hmac('sha256', JWT_SECRET, input, 'binary'), 'rawurl')}`;
}

/**
 * proofOf returns the identity token of userId, minted once per VU and again shortly before
 * it expires.
 * @param {number} userId
 * @returns {string}
 */
export function proofOf(userId) {
    const now = Math.floor(Date.now() / 1000);
    const have = minted.get(userId);
    if (have !== undefined && have.exp - now > RENEW_BEFORE_SECONDS) {
        return have.jwt;
    }
    const exp = now + TTL_SECONDS;
    const jwt = mintJwt(userId, exp);
    if (minted.size >= KEEP) {
        minted.clear();
    }
    minted.set(userId, { jwt, exp });
    return jwt;
}
