// arena.mjs: the second flow of flow.mjs, on a venue date (the seed's arena: concert 4,
// sections A..J of 20 rows x 100 seats, A-B 150,000, C-F 120,000, G-J 90,000 points).
//
// User D (a 1280 x 900 desktop) is let in, picks the first arena date and sees the ten
// sections with their availability (free of 2,000, a bar), switches to section C and sees
// its grid of 2,000 seats in 20 labelled rows under the stage; selects 4 seats, is refused
// a fifth (at most 4), unselects one, holds the 3 (the hold names each seat by label with
// its price, and the total), charges points, pays (a map read under way meanwhile, refused
// once the payment ended the token, leaves the receipt alone; the receipt lists the 3
// labels), asks for a refund, confirms it (nothing is sent before), and sees REFUNDED with
// the points back.
// User E (a 390 x 844 phone) is let in on the same date: the page fits the screen (the grid
// scrolls inside its box with seats a finger can hit), D's refunded seats are free again;
// E picks a seat that user F then holds through the REST API while E's map cannot refresh,
// so E's hold answers 409 SEAT_TAKEN: the page marks the seat taken, says so and holds
// nothing. A 409 NOT_ENOUGH_SEATS (answered by the test itself, as a fresh arena never
// runs out) is said with other sections suggested. E then asks for the best 2 seats
// together in section B: the hold names 2 adjacent seats of one row. Screenshots at every
// step (desktop and phone).
//
// runArena(ctx) is called by flow.mjs with its helpers: { browser, BASE_URL, ADMIN_KEY,
// snap, check, log, tid, signIn, adminFetch, watch, pages, ADMIT_MS, DEMO_PASSWORD } and
// the users and concert from the environment: ARENA_CONCERT_ID (default 4), USER_D, USER_E,
// USER_F (default 103, 104, 105).

const ARENA = String(process.env.ARENA_CONCERT_ID || '4');
const USER_D = String(process.env.USER_D || '103');
const USER_E = String(process.env.USER_E || '104');
const USER_F = String(process.env.USER_F || '105');

const points = (n) => `${n.toLocaleString('en-US')} points`;
const sameSet = (a, b) => a.length === b.length && a.every((x) => b.includes(x));

export async function runArena(c) {
  const { browser, BASE_URL, snap, check, log, tid, signIn, adminFetch, watch, pages, ADMIT_MS, DEMO_PASSWORD } = c;
  const cell = (label) => `${tid('vgrid')} [data-label="${label}"]`;
  const statusOf = (page, label) => page.getAttribute(cell(label), 'data-status');

  // api calls the REST API as a script would (for user F): { status, body }.
  async function api(method, urlPath, { session, token, body } = {}) {
    const headers = { 'Content-Type': 'application/json' };
    if (session) headers.Authorization = `Bearer ${session}`;
    if (token) headers['Queue-Token'] = token;
    const r = await fetch(BASE_URL + urlPath, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = { raw: text }; }
    return { status: r.status, body: json };
  }

  // enterArenaDate signs a page in, joins the arena's line, waits to be let in and opens
  // date dateId (the first date when null); returns the date's id.
  async function enterArenaDate(page, user, dateId) {
    await page.goto(BASE_URL + '/');
    await signIn(page, user, DEMO_PASSWORD);
    await page.waitForSelector(tid('view-join'), { state: 'visible' });
    await page.waitForSelector(`${tid('concert-select')} option[value="${ARENA}"]`, { state: 'attached' });
    await page.selectOption(tid('concert-select'), ARENA);
    await page.click(tid('join-button'));
    await page.waitForSelector(tid('view-dates'), { state: 'visible', timeout: ADMIT_MS });
    await page.waitForSelector(`${tid('dates')} button`);
    const dates = await page.$$eval(`${tid('dates')} button`, (bs) => bs.map((b) => b.dataset.scheduleId));
    const id = dateId || dates[0];
    return { id, dates };
  }

  async function openDate(page, id) {
    await page.click(`${tid('dates')} button[data-schedule-id="${id}"]`);
    await page.waitForSelector(tid('venue-map'), { state: 'visible' });
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 10, `${tid('sections')} button`);
  }

  async function showSection(page, name) {
    await page.click(tid(`section-${name}`));
    await page.waitForSelector(cell(`${name}-20-100`), { state: 'attached' });
    check((await page.textContent(tid('section-title'))).startsWith(`Section ${name}`), `section ${name}'s grid is shown`);
  }

  const res = await adminFetch('PUT', '/api/v1/admin/admission', { maxActive: 20 });
  check(res.ok, `admission raised to 20 active users for the arena (${res.status})`);

  // ---- D: the sections of an arena date ------------------------------------------------
  const ctxD = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const pageD = await ctxD.newPage();
  pageD.setDefaultTimeout(10000);
  pages.push(['d', pageD]);
  watch(pageD, 'D');
  const requestsD = [];
  pageD.on('request', (r) => requestsD.push({ method: r.method(), url: r.url(), headers: r.headers() }));
  const { id: dateId, dates } = await enterArenaDate(pageD, USER_D, null);
  check(dates.length === 2, `D is let in and sees the arena's 2 dates (${dates.join(', ')})`);
  await snap(pageD, 'd-arena-dates');
  await openDate(pageD, dateId);
  const secs = await pageD.$$eval(`${tid('sections')} button`, (bs) => bs.map((b) => ({
    name: b.dataset.section,
    price: b.querySelector('.sec-price').textContent,
    avail: b.querySelector('.sec-avail').textContent,
    bar: b.querySelector('.bar > span').style.width,
  })));
  check(secs.map((s) => s.name).join('') === 'ABCDEFGHIJ', 'the date shows its ten sections A..J first');
  check(secs[0].price === points(150000) && secs[2].price === points(120000) && secs[9].price === points(90000),
    `each section shows its price (${secs.map((s) => s.price).join(', ')})`);
  check(secs.every((s) => /^[\d,]+ of 2,000 free$|^Sold out$/.test(s.avail) && /^\d+(\.\d)?%$/.test(s.bar)),
    `each section shows its availability and a bar (A: ${secs[0].avail}, ${secs[0].bar})`);
  await pageD.waitForFunction((sel) => document.querySelectorAll(sel).length === 2000, `${tid('vgrid')} [role="gridcell"]`);
  await snap(pageD, 'd-arena-sections');

  // ---- D: section C's grid ---------------------------------------------------------------
  await showSection(pageD, 'C');
  const grid = await pageD.evaluate((sel) => {
    const g = document.querySelector(sel);
    return {
      cells: g.querySelectorAll('[role="gridcell"]').length,
      rows: [...g.querySelectorAll('[role="rowheader"]')].map((r) => r.textContent),
      stage: !!document.querySelector('#venue-map .stage') && document.querySelector('#venue-map .stage').getBoundingClientRect().top < g.getBoundingClientRect().top,
    };
  }, tid('vgrid'));
  check(grid.cells === 2000 && grid.rows.length === 20 && grid.rows[0] === '1' && grid.rows[19] === '20',
    `section C's grid has 2,000 seats in 20 labelled rows (${grid.cells} cells, rows ${grid.rows[0]}..${grid.rows[19]})`);
  check(grid.stage, 'the stage is marked above row 1');
  await snap(pageD, 'd-arena-section-c');

  // ---- D: several seats selected (at most 4), held, paid ----------------------------------
  const picks = ['C-1-48', 'C-1-49', 'C-1-50', 'C-1-51'];
  for (const l of [...picks, 'C-1-52']) {
    check(await statusOf(pageD, l) === 'A', `seat ${l} is free`);
  }
  for (const l of picks) await pageD.click(cell(l));
  check((await pageD.textContent(tid('pick-count'))).trim() === '4 of 4 seats selected', '4 seats selected');
  await pageD.click(cell('C-1-52'));
  check(/at most 4/i.test(await pageD.textContent(tid('pick-note'))) && await pageD.getAttribute(cell('C-1-52'), 'aria-selected') === 'false',
    `a fifth seat is refused: "${(await pageD.textContent(tid('pick-note'))).trim()}"`);
  await pageD.click(cell(picks[3])); // unselect the fourth
  const chosen = picks.slice(0, 3);
  check((await pageD.textContent(tid('pick-count'))).trim() === '3 of 4 seats selected', 'unselecting one leaves 3 selected');
  check((await pageD.textContent(tid('pick-total'))).trim() === points(360000), 'the total of the 3 is 360,000 points');
  const pickList = await pageD.$$eval(`${tid('pick-seat')} span:first-child`, (es) => es.map((e) => e.textContent));
  check(sameSet(pickList, chosen), `the selection lists ${pickList.join(', ')}`);
  await snap(pageD, 'd-arena-3-selected');

  await pageD.click(tid('hold-selected-button'));
  await pageD.waitForSelector(tid('hold-panel'), { state: 'visible' });
  const held = await pageD.$$eval(tid('hold-seat-label'), (es) => es.map((e) => e.textContent));
  const heldPrices = await pageD.$$eval(`${tid('hold-seats')} li span:last-child`, (es) => es.map((e) => e.textContent));
  check(sameSet(held, chosen) && heldPrices.every((p) => p === points(120000)),
    `the hold names each seat with its price (${held.join(', ')}: ${heldPrices.join(', ')})`);
  check((await pageD.textContent(tid('hold-total'))).trim() === points(360000), 'the hold shows the total, 360,000 points');
  await pageD.waitForFunction((sels) => sels.every((s) => document.querySelector(s).classList.contains('mine')), chosen.map(cell));
  check(true, 'the grid shows the 3 seats as D\'s hold');
  await snap(pageD, 'd-arena-held');

  await pageD.waitForFunction((sel) => /\d/.test(document.querySelector(sel).textContent), tid('points-balance'));
  await pageD.fill(tid('charge-amount'), '400000');
  await pageD.click(tid('charge-button'));
  await pageD.waitForFunction((sel) => document.querySelector(sel).textContent.includes('400,000'), tid('points-balance'));
  // A map read under way while D pays comes back refused (the payment ends the token): the
  // page must stay on the receipt. The next read is held until the payment was answered.
  const mapReads = /\/api\/v1\/schedules\/\d+\/(seats|sections)/;
  let heldRead = null;
  let readHeld;
  const readWasHeld = new Promise((resolve) => { readHeld = resolve; });
  const holdOneRead = (route) => {
    if (heldRead) return route.continue();
    heldRead = route;
    readHeld();
    return undefined;
  };
  await pageD.route(mapReads, holdOneRead);
  await Promise.race([readWasHeld, new Promise((resolve, reject) => setTimeout(() => reject(new Error('no map read within 10 s')), 10000))]);
  await pageD.click(tid('pay-button'));
  await pageD.waitForSelector(tid('view-done'), { state: 'visible' });
  const lateRead = pageD.waitForResponse((r) => r.request() === heldRead.request());
  await heldRead.continue();
  const lateStatus = (await lateRead).status();
  await pageD.unroute(mapReads, holdOneRead);
  check(lateStatus === 401, `a map read answered after the payment is refused (${lateStatus})`);
  const receipt = await pageD.$$eval(tid('confirm-seat-label'), (es) => es.map((e) => e.textContent));
  check(sameSet(receipt, chosen), `the receipt lists the 3 seats (${receipt.join(', ')})`);
  check((await pageD.textContent(tid('confirm-amount'))).trim() === points(360000) &&
    (await pageD.textContent(tid('confirm-balance'))).trim() === points(40000), 'D paid 360,000 points, 40,000 left');
  check((await pageD.textContent(tid('confirm-status'))).trim() === 'Paid', 'the receipt says Paid');
  await snap(pageD, 'd-arena-receipt');

  // ---- D: refund (confirmed first) ---------------------------------------------------------
  const isRefund = (r) => r.method === 'POST' && /^\/api\/v1\/payments\/\d+\/refund$/.test(new URL(r.url).pathname);
  await pageD.click(tid('refund-button')); // still there: the late refused read changed nothing
  check(await pageD.isHidden(tid('alert')), 'the late refused read showed no error');
  await pageD.waitForSelector(tid('refund-ask'), { state: 'visible' });
  check(/refund these 3 seats/i.test(await pageD.textContent(tid('refund-ask-text'))) && !requestsD.some(isRefund),
    'Refund asks to confirm first (nothing sent yet)');
  await snap(pageD, 'd-arena-refund-confirm');
  await pageD.click(tid('refund-confirm'));
  await pageD.waitForSelector(tid('confirm-refunded'), { state: 'visible' });
  check(/REFUNDED/.test(await pageD.textContent(tid('confirm-status'))), 'the receipt shows REFUNDED');
  check((await pageD.textContent(tid('confirm-points-back'))).trim() === `+${points(360000)}` &&
    (await pageD.textContent(tid('confirm-balance'))).trim() === points(400000), 'the 360,000 points are back: balance 400,000');
  const refundCalls = requestsD.filter(isRefund);
  check(refundCalls.length === 1 && /^Bearer /.test(refundCalls[0].headers.authorization || '') &&
    !!refundCalls[0].headers['idempotency-key'] && !refundCalls[0].headers['queue-token'],
  'one refund call, with the session and an Idempotency-Key, without a Queue-Token');
  check(await pageD.isHidden(tid('refund-button')), 'no Refund button once refunded');
  await snap(pageD, 'd-arena-refunded');

  // ---- E on a phone: sections, the refunded seats free again ----------------------------------
  const ctxE = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const pageE = await ctxE.newPage();
  pageE.setDefaultTimeout(10000);
  pages.push(['e', pageE]);
  watch(pageE, 'E');
  await enterArenaDate(pageE, USER_E, dateId);
  await openDate(pageE, dateId);
  const overflow = await pageE.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, 'the arena page fits a 390 px wide screen (no sideways scrolling of the page)');
  await snap(pageE, 'e-arena-sections-390x844', { fullPage: false });
  await showSection(pageE, 'C');
  await pageE.waitForFunction((sels) => sels.every((s) => document.querySelector(s).dataset.status === 'A'), chosen.map(cell));
  check(true, `D's refunded seats ${chosen.join(', ')} are free again on E's map`);
  const box = await pageE.evaluate(([scroll, sel]) => {
    const s = document.querySelector(scroll);
    const r = document.querySelector(sel).getBoundingClientRect();
    return { scrolls: s.scrollWidth > s.clientWidth, w: r.width, h: r.height };
  }, [tid('vgrid-scroll'), cell('C-1-1')]);
  check(box.scrolls && box.w >= 16 && box.h >= 16, `on the phone the grid scrolls inside its box with ${box.w} px seats`);
  await pageE.locator(tid('vgrid-scroll')).scrollIntoViewIfNeeded();
  await snap(pageE, 'e-arena-grid-390x844', { fullPage: false });

  // ---- E: a seat taken meanwhile: 409 SEAT_TAKEN marks it taken -------------------------------
  const target = 'C-3-50';
  check(await statusOf(pageE, target) === 'A', `seat ${target} is free`);
  // E's map stops refreshing (every read fails), so it still shows the seat free when F
  // takes it; waiting for one refused read proves no earlier read is still under way.
  let refusedOne;
  const refused = new Promise((resolve) => { refusedOne = resolve; });
  const blockReads = (route) => { refusedOne(); return route.abort(); };
  const reads = /\/api\/v1\/schedules\/\d+\/(seats|sections)/;
  await pageE.route(reads, blockReads);
  await Promise.race([refused, new Promise((resolve, reject) => setTimeout(() => reject(new Error('no map read within 10 s')), 10000))]);
  check(true, 'E\'s map reads are refused for now');
  await pageE.click(cell(target));
  check((await pageE.textContent(tid('pick-count'))).trim() === '1 of 4 seats selected', `E selected ${target}`);

  const login = await api('POST', '/api/v1/sessions', { body: { userId: Number(USER_F), password: DEMO_PASSWORD } });
  check(login.status === 201, `F signed in over REST (${login.status})`);
  const session = login.body.session;
  const tok = await api('POST', '/api/v1/queue/tokens', { session, body: { concertId: Number(ARENA) } });
  check(tok.status === 201 || tok.status === 200, `F took a place in the arena's line (${tok.status})`);
  let st = tok.body;
  const until = Date.now() + ADMIT_MS;
  while (st.status !== 'ACTIVE' && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200)); // the admission tick: polled, a script has no push
    st = (await api('GET', '/api/v1/queue/tokens/current', { token: tok.body.token })).body;
  }
  check(st.status === 'ACTIVE', 'F was let in');
  const sections = await api('GET', `/api/v1/schedules/${dateId}/sections`, { token: tok.body.token });
  const secC = sections.body.sections.find((s) => s.name === 'C');
  const [, row, num] = target.split('-').map(Number);
  const targetNo = secC.firstSeatNo + (row - 1) * secC.seatsPerRow + (num - 1);
  const hold = await api('POST', '/api/v1/reservations', { session, token: tok.body.token, body: { scheduleId: Number(dateId), seatNos: [targetNo] } });
  check(hold.status === 201 && hold.body.seats && hold.body.seats[0].label === target, `F holds ${target} (seat ${targetNo}) over REST (${hold.status})`);

  await pageE.click(tid('hold-selected-button'));
  await pageE.waitForSelector(tid('alert'), { state: 'visible' });
  const takenText = (await pageE.textContent(tid('alert-text'))).trim();
  check(takenText.includes(target) && /taken/i.test(takenText) && /nothing was held/i.test(takenText),
    `E's hold is refused and says so: "${takenText}"`);
  check((await pageE.textContent(tid('pick-note'))).trim() === takenText, 'the same words stand next to the Hold button (on a phone the alert may be out of sight)');
  check(await statusOf(pageE, target) === 'H' && await pageE.getAttribute(cell(target), 'aria-selected') === 'false',
    `the page marks ${target} taken and unselects it`);
  check(await pageE.isHidden(tid('hold-panel')) && (await pageE.textContent(tid('pick-count'))).trim() === '0 of 4 seats selected',
    'nothing is held');
  await snap(pageE, 'e-seat-taken-390x844', { fullPage: false });
  await pageE.unroute(reads, blockReads);

  // ---- E: NOT_ENOUGH_SEATS (answered by the test: no section of a fresh arena runs out) -------
  await pageE.click('#alert-close');
  const holds = '**/api/v1/reservations';
  const soldOut = (route) => route.fulfill({
    status: 409,
    contentType: 'application/json',
    body: JSON.stringify({ error: { code: 'NOT_ENOUGH_SEATS', message: 'not enough seats together in section J' } }),
  });
  await pageE.route(holds, soldOut);
  await pageE.selectOption(tid('best-section'), 'J');
  await pageE.selectOption(tid('best-qty'), '4');
  await pageE.click(tid('best-button'));
  await pageE.waitForSelector(tid('alert'), { state: 'visible' });
  const notEnough = (await pageE.textContent(tid('alert-text'))).trim();
  check(/section J has no 4 free seats together/i.test(notEnough) && /try section [A-I] \(/i.test(notEnough),
    `NOT_ENOUGH_SEATS says so and suggests another section: "${notEnough}"`);
  check((await pageE.textContent(tid('best-note'))).trim() === notEnough && await pageE.isHidden(tid('hold-panel')),
    'the same words stand under the button; nothing is held');
  await pageE.unroute(holds, soldOut);
  await snap(pageE, 'e-not-enough-seats-390x844', { fullPage: false });

  // ---- E: best available, 2 together in section B ---------------------------------------------
  await pageE.selectOption(tid('best-section'), 'B');
  await pageE.selectOption(tid('best-qty'), '2');
  check(await pageE.isChecked(tid('best-together')), '"Together in one row" is ticked');
  await pageE.click(tid('best-button'));
  await pageE.waitForSelector(tid('hold-panel'), { state: 'visible' });
  const best = await pageE.$$eval(tid('hold-seat-label'), (es) => es.map((e) => e.textContent));
  const places = best.map((l) => l.split('-'));
  const nums = places.map((p) => Number(p[2])).sort((a, b) => a - b);
  check(best.length === 2 && places.every((p) => p[0] === 'B' && p[1] === places[0][1]) && nums[1] - nums[0] === 1,
    `best available holds 2 adjacent seats in one row of B (${best.join(', ')})`);
  check((await pageE.textContent(tid('hold-total'))).trim() === points(300000), 'their total is 300,000 points');
  await pageE.waitForFunction((sels) => sels.every((s) => document.querySelector(s) && document.querySelector(s).classList.contains('mine')), best.map(cell));
  check((await pageE.textContent(tid('section-title'))).startsWith('Section B'), 'the grid moved to section B, showing the held seats');
  await snap(pageE, 'e-best-2-held-390x844', { fullPage: false });
  await snap(pageE, 'e-best-2-held-full');
  log('arena flow done');
}
