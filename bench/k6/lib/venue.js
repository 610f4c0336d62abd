// venue: what bigmap.js and arena.js set up with ADMIN_KEY (issue 11): a venue like the
// seed's arena, sections A..J of 20 rows x 100 seats (20,000 seats a date; A-B 150,000,
// C-F 120,000, G-J 90,000), and a concert of the run's own with dates on it, so a run never
// depends on what earlier runs sold. Without ADMIN_KEY the scripts use the seed's arena.

import { check } from 'k6';
import { body, createConcert, createVenue, createVenueSchedule, num } from './api.js';

/** The seed's arena (db/seed.sql): concert 4 plays on venue 1 on dates 16 and 17. */
export const SEED_ARENA = { concertId: 4, scheduleIds: [16, 17] };

/** Seats of one date of the venue venueDates makes. */
export const VENUE_SEATS = 20000;

/**
 * venueDates makes the venue, a concert titled title and dates dates on it (a day apart from
 * 2031-01-01) and returns the concert and its dates; null when a step failed (checked).
 * @param {string} title
 * @param {number} dates
 * @returns {{ concertId: number, scheduleIds: number[] } | null}
 */
export function venueDates(title, dates) {
    /** @type {import('./api.js').VenueSection[]} */
    const sections = [];
    for (let i = 0; i < 10; i++) {
        sections.push({ name: String.fromCharCode(65 + i), rows: 20, seatsPerRow: 100,
            price: i < 2 ? 150000 : i < 6 ? 120000 : 90000 });
    }
    const v = createVenue(title, sections);
    const venueId = num(body(v), 'id');
    const c = createConcert(title);
    const concertId = num(body(c), 'id');
    if (!check(null, {
        'admin: venue created': () => v.status === 201 && venueId > 0,
        'admin: concert created': () => c.status === 201 && concertId > 0,
    })) {
        return null;
    }
    /** @type {number[]} */
    const scheduleIds = [];
    for (let d = 0; d < dates; d++) {
        const startsAt = new Date(Date.UTC(2031, 0, 1 + d, 19, 0, 0)).toISOString().replace(/\.\d{3}Z$/, 'Z');
        const r = createVenueSchedule(concertId, startsAt, venueId);
        const id = num(body(r), 'id');
        if (check(r, { 'admin: venue date created': (x) => x.status === 201 && id > 0 })) {
            scheduleIds.push(id);
        }
    }
    return scheduleIds.length > 0 ? { concertId, scheduleIds } : null;
}
