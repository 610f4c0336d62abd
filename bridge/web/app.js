/*
 * boxoffice waiting room and seat picker (plain JS, no build step).
 *
 * Flow: sign in (user id + password) or sign up (name + password: a new user id) ->
 * pick a concert -> POST /queue/tokens -> wait (position and ETA, or the sale's opening
 * time, are pushed over WebSocket, or Server-Sent Events when WebSocket fails; no polling)
 * -> admitted -> dates -> seat map (refreshed every 2 s while shown) -> hold (countdown to
 * the hold's end) -> charge points -> pay -> confirmation (with a refund button). "Leave the
 * line" gives the place up; "Sign out" ends the session.
 *
 * A date of the 50-seat hall shows its whole map and holds one seat. A date on a venue
 * (its schedule names a venueId) shows its sections and one section's grid instead, and
 * holds up to 4 seats at once: venue.js draws and picks those; this file keeps the flow.
 *
 * Two proofs travel: the session from sign-in as Authorization: Bearer on every call made
 * for the user (token issue, holds, releases, payments, points, leaving, signing out), and
 * the queue token as Queue-Token on the calls of the admission window.
 *
 * The session, the queue token and the page's place in the flow live in sessionStorage, so
 * a reload resumes where it was with a single GET /queue/tokens/current. A refused session
 * (401) leads back to sign-in; signing in again as the same user resumes the same place.
 */
(function () {
  'use strict';

  var API = '/api/v1';
  var STORE_KEY = 'boxoffice.page.v2';
  var SEAT_REFRESH_MS = 2000;
  var venue = null; // venue.js: sections and a section's grid (null if it did not load)

  /* ---- state ------------------------------------------------------------- */

  var S = {
    auth: null,      // {session, userId, name, expiresAt}: who is signed in
    ticket: null,    // {token, tokenId, userId, concertId, saleOpensAt, saleMessage}
    scheduleId: null,
    venueDate: false, // the date shown stands on a venue (sections), not the hall
    hold: null,      // {reservationId, scheduleId, seatNo, seats, price, expiresAt, deadline}
    done: null,      // confirmation shown after paying (refunded: set once refunded)
    concerts: [],
    schedules: {},   // id -> schedule
    seats: [],
    selected: null,  // seat number picked but not held
    balance: null,
    view: null,
    etaDeadline: null,
    seatTimer: null,
    seatsBusy: false,
    retryUntil: null, // a 429's Retry-After, counted down in the alert
    pending: {}      // action -> {key, sig}: an Idempotency-Key whose request got no answer
  };

  function save() {
    try {
      if (!S.auth && !S.ticket && !S.done) {
        sessionStorage.removeItem(STORE_KEY);
        return;
      }
      sessionStorage.setItem(STORE_KEY, JSON.stringify({
        auth: S.auth, ticket: S.ticket, scheduleId: S.scheduleId, venueDate: S.venueDate,
        hold: S.hold, done: S.done
      }));
    } catch (e) { /* storage full or disabled: the page still works, without resume */ }
  }

  function restore() {
    try {
      var raw = sessionStorage.getItem(STORE_KEY);
      if (!raw) return;
      var v = JSON.parse(raw);
      S.auth = v.auth && v.auth.session ? v.auth : null;
      S.ticket = v.ticket && v.ticket.token ? v.ticket : null;
      S.scheduleId = v.scheduleId || null;
      S.venueDate = !!v.venueDate;
      S.hold = v.hold && v.hold.reservationId ? v.hold : null;
      S.done = v.done && v.done.place ? v.done : null;
    } catch (e) { /* ignore a damaged entry */ }
  }

  /* ---- small helpers ----------------------------------------------------- */

  function $(id) { return document.getElementById(id); }

  function money(n) {
    return Number(n).toLocaleString('en-US') + ' points';
  }

  function when(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return iso || '';
    return d.toLocaleString('en-GB', {
      weekday: 'short', day: 'numeric', month: 'short', year: 'numeric',
      hour: '2-digit', minute: '2-digit', timeZoneName: 'short'
    });
  }

  function duration(sec) {
    if (sec <= 0) return 'any moment';
    if (sec < 60) return sec + ' s';
    var m = Math.floor(sec / 60);
    var s = sec % 60;
    if (m >= 60) return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
    if (m >= 10) return m + ' min';
    return m + ' min ' + (s < 10 ? '0' : '') + s + ' s';
  }

  function mmss(ms) {
    var t = Math.max(0, Math.ceil(ms / 1000));
    var m = Math.floor(t / 60);
    var s = t % 60;
    return (m < 10 ? '0' : '') + m + ':' + (s < 10 ? '0' : '') + s;
  }

  /* uuid returns a random UUID v4; crypto.randomUUID needs a secure context, so build one
   * from getRandomValues when the page is served over plain HTTP to another host. */
  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === 'function') {
      try { return crypto.randomUUID(); } catch (e) { /* insecure context */ }
    }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  /* idemKey returns the Idempotency-Key for one click of action: a new key, unless the last
   * request of the same action and body got no answer (then the retry reuses its key, so
   * the server does the work once). */
  function idemKey(action, sig) {
    var p = S.pending[action];
    if (p && p.sig === sig) return p.key;
    var key = uuid();
    S.pending[action] = { key: key, sig: sig };
    return key;
  }

  function concertTitle(id) {
    for (var i = 0; i < S.concerts.length; i++) {
      if (S.concerts[i].id === id) return S.concerts[i].title;
    }
    return 'concert ' + id;
  }

  /* ---- the API ------------------------------------------------------------ */

  function ApiError(status, code, message, retryAfter, detail) {
    this.status = status;
    this.code = code;
    this.message = message;
    this.retryAfter = retryAfter; // seconds from Retry-After, or null
    this.detail = detail || {};   // the whole error object (SEAT_TAKEN: seatNos)
  }

  /* retryAfter reads a Retry-After header (seconds or an HTTP date) as whole seconds, or
   * null when there is none. */
  function retryAfter(value) {
    if (!value) return null;
    if (/^\s*\d+\s*$/.test(value)) return Number(value);
    var at = Date.parse(value);
    return isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
  }

  /* api calls the REST API; resolves with the parsed JSON, rejects with an ApiError carrying
   * the server's error code and message (status 0: no answer). opts: body, key (an
   * Idempotency-Key), id (send the session as Authorization: Bearer), ticket (false: leave
   * the Queue-Token out). */
  function api(method, path, opts) {
    opts = opts || {};
    var headers = { 'Accept': 'application/json' };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    if (opts.ticket !== false && S.ticket) headers['Queue-Token'] = S.ticket.token;
    if (opts.id && S.auth) headers['Authorization'] = 'Bearer ' + S.auth.session;
    if (opts.key) headers['Idempotency-Key'] = opts.key;
    return fetch(API + path, {
      method: method,
      headers: headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      cache: 'no-store'
    }).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!res.ok) {
          var err = (data && data.error) || {};
          throw new ApiError(res.status, err.code || 'HTTP_' + res.status,
            err.message || 'The service answered with HTTP ' + res.status + '.',
            retryAfter(res.headers.get('Retry-After')), err);
        }
        return data;
      });
    }, function () {
      throw new ApiError(0, 'NETWORK', 'The service cannot be reached: check your connection and try again.', null);
    });
  }

  /* answered tells whether an error is a definite answer (the request was decided), as
   * opposed to no answer or a temporary failure after which a retry should reuse its key. */
  function answered(e) {
    return e instanceof ApiError && e.status >= 400 && e.status < 500;
  }

  /* ---- alert region ------------------------------------------------------ */

  function showAlert(message) {
    S.retryUntil = null;
    $('alert-text').textContent = message;
    $('alert').hidden = false;
  }

  function clearAlert() {
    S.retryUntil = null;
    $('alert').hidden = true;
    $('alert-text').textContent = '';
  }

  /* showNotice shows a note that is not an error (account created, left the line): text,
   * then optionally strong text (data-testid notice-strong) and more text. */
  function showNotice(text, strong, after) {
    var p = $('notice-text');
    p.textContent = text;
    if (strong) {
      var b = document.createElement('strong');
      b.setAttribute('data-testid', 'notice-strong');
      b.textContent = strong;
      p.appendChild(b);
      p.appendChild(document.createTextNode(after || ''));
    }
    $('notice').hidden = false;
  }

  function clearNotice() {
    $('notice').hidden = true;
    $('notice-text').textContent = '';
  }

  /* showRetry tells a rate-limited user when to try again, counting the seconds down. */
  function showRetry(seconds) {
    showAlert('');
    S.retryUntil = seconds == null ? null : Date.now() + Math.max(1, seconds) * 1000;
    if (S.retryUntil == null) $('alert-text').textContent = 'Too many requests: try again in a moment.';
    tickRetry();
  }

  function tickRetry() {
    if (S.retryUntil == null) return;
    var left = Math.ceil((S.retryUntil - Date.now()) / 1000);
    if (left > 0) {
      $('alert-text').textContent = 'Too many requests: try again in ' + left + '\u00a0s.';
    } else {
      S.retryUntil = null;
      $('alert-text').textContent = 'You can try again now.';
    }
  }

  /* fail shows an error; token and session problems also move the page to where it can go
   * on. */
  function fail(e) {
    if (!(e instanceof ApiError)) {
      showAlert(String(e && e.message ? e.message : e));
      return;
    }
    switch (e.code) {
    case 'TOKEN_EXPIRED':
      S.hold = null;
      save();
      show('expired'); // offers to join again
      showAlert(e.message);
      return;
    case 'TOKEN_INVALID':
    case 'TOKEN_MISSING':
      forget();
      show('join');
      showAlert(e.message);
      return;
    case 'TOKEN_NOT_ACTIVE':
      showAlert(e.message);
      enterWait(null);
      return;
    case 'LOGIN_FAILED':
      showAlert('The user id or the password is wrong.');
      return;
    case 'NOT_OWNER':
      showAlert('Not allowed: this belongs to another user than the one signed in (' + e.message + ').');
      return;
    default:
      if (e.status === 401) {
        sessionLost(e);
      } else if (e.status === 429) {
        showRetry(e.retryAfter);
      } else if (e.status === 403) {
        showAlert('Not allowed: ' + e.message);
      } else {
        showAlert(e.message);
      }
    }
  }

  /* ---- views ------------------------------------------------------------- */

  var VIEWS = ['signin', 'join', 'wait', 'dates', 'seats', 'done', 'expired'];

  function show(name) {
    document.body.classList.toggle('wide', name === 'seats' && S.venueDate);
    if (S.view === name) {
      renderTop();
      return;
    }
    S.view = name;
    $('loading').hidden = true;
    VIEWS.forEach(function (v) { $('view-' + v).hidden = v !== name; });
    if (name !== 'wait') push.stop();
    if (name !== 'seats') stopSeatTimer();
    renderTop();
    var h = document.querySelector('#view-' + name + ' h2');
    if (h && document.activeElement && document.activeElement !== document.body) {
      h.setAttribute('tabindex', '-1');
      h.focus({ preventScroll: true });
    }
  }

  /* renderTop names who is signed in (and the concert while in line) and offers leaving the
   * line while there is a place to leave, signing out while signed in. */
  function renderTop() {
    var who = $('who');
    var inLine = !!S.ticket && ['wait', 'dates', 'seats'].indexOf(S.view) >= 0;
    who.hidden = !S.auth;
    $('sign-out').hidden = !S.auth;
    $('leave').hidden = !(S.auth && inLine);
    if (!S.auth) return;
    var text = 'User ' + S.auth.userId + (S.auth.name ? ' (' + S.auth.name + ')' : '');
    if (S.ticket && S.view !== 'join') text += ' \u00b7 ' + concertTitle(S.ticket.concertId);
    else if (S.view === 'done' && S.done) text += ' \u00b7 ' + S.done.concert;
    who.textContent = text;
  }

  /* forget drops the place in line and everything about it (not the sign-in). */
  function forget() {
    push.stop();
    S.ticket = null;
    S.scheduleId = null;
    S.hold = null;
    S.done = null;
    S.selected = null;
    S.venueDate = false;
    S.balance = null;
    S.pending = {};
    if (venue) venue.reset();
    save();
  }

  /* ---- identity ---------------------------------------------------------- */

  /* signedIn keeps a new session; a place in line kept for another user is dropped. */
  function signedIn(session, name) {
    if (S.ticket && S.ticket.userId !== session.userId) forget();
    if (S.done && S.done.place.userId !== session.userId) S.done = null;
    S.auth = { session: session.session, userId: session.userId, name: name || null, expiresAt: session.expiresAt };
    save();
    $('signin-password').value = '';
    $('signup-password').value = '';
  }

  /* sessionLost handles a refused session (401): back to sign-in, keeping the place in
   * line for when the same user signs in again. */
  function sessionLost(e) {
    push.stop();
    var uid = S.auth ? S.auth.userId : null;
    S.auth = null;
    save();
    clearNotice();
    show('signin');
    if (uid != null) $('signin-user').value = String(uid);
    showAlert(e && e.code === 'SESSION_EXPIRED'
      ? 'Your session has expired or was signed out: sign in again to go on.'
      : 'Your sign-in is no longer valid: sign in again to go on.');
    $('signin-password').focus();
  }

  /* invalid refuses a form field: says why and puts the focus on it. */
  function invalid(id, message) {
    showAlert(message);
    $(id).focus();
  }

  /* formsBusy keeps both identity forms disabled until work (a promise) settles. */
  function formsBusy(work) {
    $('signin').disabled = true;
    $('signup').disabled = true;
    return work.then(function () {
      $('signin').disabled = false;
      $('signup').disabled = false;
    });
  }

  function signIn(ev) {
    ev.preventDefault();
    var raw = $('signin-user').value.trim();
    var uid = Number(raw);
    var password = $('signin-password').value;
    if (!/^\d+$/.test(raw) || uid < 1 || !Number.isSafeInteger(uid)) {
      invalid('signin-user', 'Enter your user id (a whole number, 1 or more).');
    } else if (!password) {
      invalid('signin-password', 'Enter your password.');
    } else {
      clearAlert();
      clearNotice();
      formsBusy(api('POST', '/sessions', { body: { userId: uid, password: password }, ticket: false })
        .then(function (d) {
          signedIn(d, null);
          return resume();
        }, function (e) {
          fail(e);
          if (e.code === 'LOGIN_FAILED') $('signin-password').select();
        }));
    }
  }

  function utf8Length(text) {
    return typeof TextEncoder === 'function' ? new TextEncoder().encode(text).length : text.length;
  }

  /* signUp creates an account, shows its new user id and signs it in. */
  function signUp(ev) {
    ev.preventDefault();
    var name = $('signup-name').value.trim();
    var password = $('signup-password').value;
    var len = utf8Length(password);
    if (!name || name.length > 64) {
      invalid('signup-name', 'Enter a name (1 to 64 characters).');
      return;
    }
    if (len < 8 || len > 128) {
      invalid('signup-password', 'Choose a password of 8 to 128 characters.');
      return;
    }
    clearAlert();
    clearNotice();
    formsBusy(api('POST', '/accounts', { body: { name: name, password: password }, ticket: false }).then(function (acct) {
      $('signin-user').value = String(acct.userId);
      showNotice('Account created. Your user id is ', String(acct.userId),
        ': you sign in with it and your password.');
      return api('POST', '/sessions', { body: { userId: acct.userId, password: password }, ticket: false })
        .then(function (d) {
          signedIn(d, acct.name);
          return resume();
        }, function (e) {
          // The account exists: the user can sign in with the id shown once it works.
          $('signup-password').value = '';
          fail(e);
        });
    }, fail));
  }

  /* signOut ends the session on the service (every instance refuses it from then on) and
   * forgets it here, whatever the answer. */
  function signOut() {
    if (!S.auth) return;
    clearAlert();
    clearNotice();
    var uid = S.auth.userId;
    $('sign-out').disabled = true;
    api('DELETE', '/sessions/current', { id: true, ticket: false }).then(function () {
      showNotice('You are signed out.');
    }, function (e) {
      if (e.status !== 401) showAlert('Signed out on this page, but the service could not be told: ' + e.message);
    }).then(function () {
      $('sign-out').disabled = false;
      forget();
      S.auth = null;
      save();
      show('signin');
      $('signin-user').value = String(uid);
    });
  }

  /* leaveLine gives the place in line up (while waiting or admitted) and goes back to the
   * concert list. */
  function leaveLine() {
    if (!S.ticket || !S.auth) return;
    clearAlert();
    var cid = S.ticket.concertId;
    var gone = function (message) {
      forget();
      show('join');
      $('concert').value = String(cid);
      showNotice(message);
    };
    $('leave').disabled = true;
    push.stop(); // the token's end is ours to show, not the push channel's
    api('DELETE', '/queue/tokens/current', { id: true }).then(function () {
      gone('You left the line for ' + concertTitle(cid) + '.');
    }, function (e) {
      if (e.code === 'TOKEN_EXPIRED' || e.code === 'TOKEN_INVALID') {
        gone('Your place in line had already ended.');
        return;
      }
      fail(e);
      if (S.view === 'wait') push.start();
    }).then(function () {
      $('leave').disabled = false;
    });
  }

  /* ---- join -------------------------------------------------------------- */

  function loadConcerts() {
    return api('GET', '/concerts', { ticket: false }).then(function (d) {
      S.concerts = (d && d.concerts) || [];
      var sel = $('concert');
      sel.textContent = '';
      S.concerts.forEach(function (c) {
        var o = document.createElement('option');
        o.value = String(c.id);
        o.textContent = c.title + ' \u2014 ' + c.artist + ', ' + c.venue +
          (c.saleOpensAt ? ' (sale opens ' + when(c.saleOpensAt) + ')' : '');
        sel.appendChild(o);
      });
      if (S.ticket) sel.value = String(S.ticket.concertId);
    }, function (e) {
      showAlert(e.message);
    });
  }

  function join(concertId) {
    clearAlert();
    clearNotice();
    $('join').disabled = true;
    $('rejoin').disabled = true;
    return api('POST', '/queue/tokens', { body: { concertId: concertId }, id: true, ticket: false })
      .then(function (t) {
        forget();
        S.ticket = { token: t.token, tokenId: t.tokenId, userId: t.userId, concertId: t.concertId };
        noteSale(t);
        save();
        applyToken(t);
      }, fail)
      .then(function () {
        $('join').disabled = false;
        $('rejoin').disabled = false;
      });
  }

  function rejoin() {
    var s = S.ticket || (S.done && S.done.place);
    if (!s) {
      show('join');
      return;
    }
    join(s.concertId);
  }

  /* noteSale keeps what a token says about its concert's opening (null once open). */
  function noteSale(t) {
    if (!S.ticket) return;
    S.ticket.saleOpensAt = t.saleOpensAt || null;
    S.ticket.saleMessage = t.message || null;
  }

  function applyToken(t) {
    if (t.status === 'ACTIVE') {
      enterAdmitted();
    } else if (t.status === 'WAITING') {
      enterWait(t);
    } else {
      show('expired');
    }
  }

  /* ---- waiting room (push) ------------------------------------------------ */

  /* renderPosition shows the place and the estimated wait, or, while the sale has not
   * opened, its opening time and the time left until then. */
  function renderPosition(position, etaSeconds) {
    var opening = S.ticket && S.ticket.saleOpensAt;
    var early = !!(S.ticket && (opening || S.ticket.saleMessage));
    $('sale-opens').hidden = !early;
    $('wait-title').textContent = early ? 'You are in line for the opening' : 'You are in line';
    $('pos-label').textContent = early ? 'Your place: drawn at the opening' : 'Your place';
    $('eta-label').textContent = early ? 'Sale opens in' : 'Estimated wait';
    if (early) {
      $('sale-opens-text').textContent = opening
        ? 'Waiting for the sale to open at ' + when(opening) + '.'
        : S.ticket.saleMessage;
      $('position').textContent = '\u2013';
      var at = Date.parse(opening);
      S.etaDeadline = isNaN(at) ? null : at;
      if (S.etaDeadline == null) $('eta').textContent = '\u2013';
      renderEta();
      return;
    }
    if (position != null) $('position').textContent = String(position);
    if (etaSeconds != null) {
      S.etaDeadline = Date.now() + etaSeconds * 1000;
      renderEta();
    }
  }

  function renderEta() {
    if (S.etaDeadline == null) return;
    $('eta').textContent = duration(Math.max(0, Math.ceil((S.etaDeadline - Date.now()) / 1000)));
  }

  function enterWait(t) {
    $('wait-concert').textContent = concertTitle(S.ticket.concertId) + ' \u00b7 user ' + S.ticket.userId;
    if (t) {
      noteSale(t);
      save();
      renderPosition(t.position, t.etaSeconds);
    } else {
      renderPosition(null, null);
    }
    show('wait');
    push.start();
  }

  /* pushState shows the push channel's state; transport ('websocket' or 'sse') is kept in
   * data-transport once a channel is open. */
  function pushState(text, cls, transport) {
    var el = $('push-state');
    el.textContent = text;
    el.className = 'small ' + (cls || '');
    if (transport) el.setAttribute('data-transport', transport);
  }

  /* push: one live channel per waiting page. WebSocket first; after two WebSocket attempts
   * that never opened, Server-Sent Events (and back to WebSocket after two failed SSE
   * attempts, in case the listener was only down). Dropped channels reconnect with
   * exponential backoff (0.5 s doubling to 15 s, jittered). The first message after
   * connecting is the current state, so nothing is fetched on reconnect. Only when push
   * stays unreachable (three failed connections in a row without a message, so at most
   * about every 45 s) does the page read the token's status once, to let a user in (or tell
   * them their turn ended) even then. */
  var push = {
    active: false,
    ws: null,
    es: null,
    endpoints: null,
    mode: 'ws',
    wsFailures: 0,
    sseFailures: 0,
    silentFailures: 0,
    attempt: 0,
    timer: null,

    start: function () {
      if (this.active) return;
      this.active = true;
      this.attempt = 0;
      this.wsFailures = 0;
      this.sseFailures = 0;
      this.silentFailures = 0;
      this.mode = typeof WebSocket === 'function' ? 'ws' : 'sse';
      pushState('Connecting\u2026');
      this.connect();
    },

    stop: function () {
      this.active = false;
      clearTimeout(this.timer);
      this.timer = null;
      var ws = this.ws;
      var es = this.es;
      this.ws = null;
      this.es = null;
      if (ws) { try { ws.close(1000); } catch (e) { /* already closed */ } }
      if (es) es.close();
    },

    connect: function () {
      var self = this;
      if (!self.active || !S.ticket) return;
      self.timer = null;
      var ready = self.endpoints ? Promise.resolve(self.endpoints)
        : api('GET', '/queue/push').then(function (d) { self.endpoints = d; return d; });
      ready.then(function (ep) {
        if (!self.active) return;
        var q = '?token=' + encodeURIComponent(S.ticket.token);
        if (self.mode === 'ws' && ep.websocket) {
          self.openWebSocket(ep.websocket + q, ep);
        } else if (ep.sse && typeof EventSource === 'function') {
          self.openEventSource(ep.sse + q);
        } else if (ep.websocket && typeof WebSocket === 'function') {
          self.mode = 'ws';
          self.openWebSocket(ep.websocket + q, ep);
        } else {
          pushState('This browser cannot receive live updates.', 'retry');
        }
      }, function () {
        self.retry();
      });
    },

    openWebSocket: function (url, ep) {
      var self = this;
      var ws;
      try {
        ws = new WebSocket(url);
      } catch (e) {
        self.mode = 'sse';
        self.retry();
        return;
      }
      var opened = false;
      self.ws = ws;
      ws.onopen = function () {
        opened = true;
        self.wsFailures = 0;
        pushState('Live: you will be let in automatically.', 'live', 'websocket');
      };
      ws.onmessage = function (ev) {
        if (self.ws === ws) self.message(ev.data, null);
      };
      ws.onclose = function () {
        if (self.ws !== ws) return;
        self.ws = null;
        if (!opened && ++self.wsFailures >= 2 && ep.sse && typeof EventSource === 'function') {
          self.mode = 'sse';
          self.wsFailures = 0;
        }
        self.retry();
      };
    },

    openEventSource: function (url) {
      var self = this;
      var es = new EventSource(url);
      self.es = es;
      var onEvent = function (type) {
        return function (ev) {
          if (self.es === es) self.message(ev.data, type);
        };
      };
      var opened = false;
      es.onopen = function () {
        opened = true;
        self.sseFailures = 0;
        pushState('Live: you will be let in automatically.', 'live', 'sse');
      };
      es.addEventListener('position', onEvent('position'));
      es.addEventListener('admitted', onEvent('admitted'));
      es.addEventListener('expired', onEvent('expired'));
      es.onmessage = onEvent(null);
      es.onerror = function () {
        // EventSource would reconnect on its own schedule; use ours (backoff) instead.
        if (self.es !== es) return;
        self.es = null;
        es.close();
        if (!opened && ++self.sseFailures >= 2 && typeof WebSocket === 'function') {
          self.mode = 'ws';
          self.sseFailures = 0;
        }
        self.retry();
      };
    },

    retry: function () {
      if (!this.active) return;
      if (++this.silentFailures % 3 === 0) this.resync();
      var delay = Math.min(15000, 500 * Math.pow(2, this.attempt));
      delay = Math.round(delay * (0.75 + Math.random() * 0.5));
      this.attempt = Math.min(this.attempt + 1, 10);
      pushState('Connection lost: reconnecting in ' + Math.ceil(delay / 1000) + ' s\u2026', 'retry');
      var self = this;
      clearTimeout(this.timer);
      this.timer = setTimeout(function () { self.connect(); }, delay);
    },

    /* resync reads the token's status once while push is unreachable. */
    resync: function () {
      var self = this;
      api('GET', '/queue/tokens/current').then(function (t) {
        if (!self.active) return;
        if (t.status === 'WAITING') {
          noteSale(t);
          save();
          renderPosition(t.position, t.etaSeconds);
        } else {
          self.stop();
          applyToken(t);
        }
      }, function (e) {
        if (self.active && answered(e)) {
          self.stop();
          fail(e);
        }
      });
    },

    /* retryNow skips a pending backoff (the browser came back online). */
    retryNow: function () {
      if (this.active && this.timer) {
        clearTimeout(this.timer);
        this.connect();
      }
    },

    message: function (data, type) {
      var m;
      try { m = JSON.parse(data); } catch (e) { return; }
      if (!m || typeof m !== 'object') return;
      type = m.type || type;
      if (m.tokenId && S.ticket && S.ticket.tokenId && m.tokenId !== S.ticket.tokenId) return;
      this.attempt = 0;
      this.silentFailures = 0;
      if (type === 'position') {
        pushState('Live: you will be let in automatically.', 'live');
        if (S.ticket && m.saleOpensAt !== undefined) {
          noteSale(m);
          save();
        } else if (S.ticket && m.position > 0 && (S.ticket.saleOpensAt || S.ticket.saleMessage)) {
          noteSale({}); // a place in line: the sale has opened
          save();
        }
        renderPosition(m.position, m.etaSeconds);
      } else if (type === 'admitted') {
        this.stop();
        enterAdmitted();
      } else if (type === 'expired') {
        this.stop();
        show('expired');
      }
    }
  };

  /* ---- dates ------------------------------------------------------------- */

  function enterAdmitted() {
    clearAlert();
    var sid = S.hold ? S.hold.scheduleId : S.scheduleId;
    if (sid) {
      enterSeats(sid);
    } else {
      enterDates();
    }
  }

  function enterDates() {
    S.scheduleId = null;
    S.selected = null;
    save();
    $('dates-concert').textContent = concertTitle(S.ticket.concertId);
    show('dates');
    var list = $('dates');
    list.setAttribute('aria-busy', 'true');
    return api('GET', '/concerts/' + S.ticket.concertId + '/schedules').then(function (d) {
      list.textContent = '';
      var items = (d && d.schedules) || [];
      items.forEach(function (sc) {
        S.schedules[sc.id] = sc;
        var li = document.createElement('li');
        var b = document.createElement('button');
        b.type = 'button';
        b.setAttribute('data-testid', 'schedule-' + sc.id);
        b.setAttribute('data-schedule-id', String(sc.id));
        var t = document.createElement('span');
        t.className = 'date';
        t.textContent = when(sc.startsAt);
        var n = document.createElement('span');
        n.className = 'seats-left';
        n.textContent = Number(sc.availableSeats).toLocaleString('en-US') + ' of ' +
          Number(sc.totalSeats).toLocaleString('en-US') + ' seats free';
        b.appendChild(t);
        b.appendChild(n);
        b.setAttribute('aria-label', when(sc.startsAt) + ', ' + n.textContent);
        b.addEventListener('click', function () { enterSeats(sc.id); });
        li.appendChild(b);
        list.appendChild(li);
      });
      $('dates-empty').hidden = items.length > 0;
    }, fail).then(function () {
      list.removeAttribute('aria-busy');
    });
  }

  /* ---- seat map ---------------------------------------------------------- */

  /* enterSeats shows date scheduleId: the hall's whole map, or a venue's sections and the
   * grid of one section (venue.js). */
  function enterSeats(scheduleId) {
    clearAlert();
    if (S.scheduleId !== scheduleId) S.selected = null;
    S.scheduleId = scheduleId;
    var sc = S.schedules[scheduleId];
    if (sc) S.venueDate = !!(sc.venueId && venue);
    save();
    var title = concertTitle(S.ticket.concertId);
    $('seats-date').textContent = title + (sc ? ' \u00b7 ' + when(sc.startsAt) : '');
    if (!sc) {
      // Resumed straight into the seat map: name the date once the list is in.
      api('GET', '/concerts/' + S.ticket.concertId + '/schedules').then(function (d) {
        ((d && d.schedules) || []).forEach(function (x) { S.schedules[x.id] = x; });
        var found = S.schedules[scheduleId];
        if (found && S.scheduleId === scheduleId) {
          $('seats-date').textContent = title + ' \u00b7 ' + when(found.startsAt);
          if (S.view === 'seats' && !!(found.venueId && venue) !== S.venueDate) enterSeats(scheduleId);
        }
      }, function () { /* the label stays without the date */ });
    }
    $('hall-map').hidden = S.venueDate;
    $('venue-map').hidden = !S.venueDate;
    $('view-seats').classList.toggle('venue', S.venueDate);
    $('seats-title').textContent = S.venueDate ? 'Choose your seats' : 'Choose a seat';
    $('seat-grid').textContent = '';
    $('legend').textContent = '';
    $('seats-updated').textContent = '';
    renderPick();
    renderHold();
    show('seats');
    if (S.venueDate) venue.enter(scheduleId);
    else refreshSeats();
    startSeatTimer();
    if (S.hold) refreshBalance();
  }

  /* notVenue shows date sid as a hall date after all (it answered NO_SECTIONS). */
  function notVenue(sid) {
    if (S.schedules[sid]) S.schedules[sid].venueId = null;
    S.venueDate = false;
    if (S.view === 'seats' && S.scheduleId === sid) enterSeats(sid);
  }

  function startSeatTimer() {
    stopSeatTimer();
    S.seatTimer = setInterval(function () {
      if (!document.hidden) refreshMap();
    }, SEAT_REFRESH_MS);
  }

  function stopSeatTimer() {
    if (S.seatTimer) clearInterval(S.seatTimer);
    S.seatTimer = null;
  }

  /* refreshMap reads the shown date's map again (the hall's, or the venue's section). */
  function refreshMap() {
    return S.venueDate ? venue.refresh() : refreshSeats();
  }

  /* renderMap redraws the shown map after the hold changed. */
  function renderMap() {
    if (S.venueDate) venue.render();
    else renderSeats();
  }

  function refreshSeats() {
    if (S.seatsBusy || S.view !== 'seats' || !S.scheduleId) return Promise.resolve();
    var sid = S.scheduleId;
    S.seatsBusy = true;
    return api('GET', '/schedules/' + sid + '/seats').then(function (d) {
      if (S.scheduleId !== sid || S.view !== 'seats') return;
      S.seats = (d && d.seats) || [];
      renderSeats();
      $('seats-updated').textContent = 'Updated ' + new Date().toLocaleTimeString('en-GB');
    }, function (e) {
      // A read answered after the user left the map (paying ends the token, so a read in
      // flight then comes back TOKEN_EXPIRED) says nothing about the page now shown.
      if (S.scheduleId !== sid || S.view !== 'seats') return;
      if (/^TOKEN_|^WRONG_CONCERT$|NOT_FOUND$/.test(e.code)) {
        fail(e);
        stopSeatTimer();
      } else {
        $('seats-updated').textContent = 'Could not refresh the seats (' + e.message + '); retrying\u2026';
      }
    }).then(function () {
      S.seatsBusy = false;
    });
  }

  function tiersOf(seats) {
    var prices = [];
    seats.forEach(function (s) { if (prices.indexOf(s.price) < 0) prices.push(s.price); });
    prices.sort(function (a, b) { return b - a; });
    return prices;
  }

  function renderSeats() {
    var grid = $('seat-grid');
    var prices = tiersOf(S.seats);
    var hold = S.hold && S.hold.scheduleId === S.scheduleId ? S.hold : null;
    if (grid.children.length !== S.seats.length) {
      grid.textContent = '';
      S.seats.forEach(function (s) {
        var b = document.createElement('button');
        b.type = 'button';
        b.className = 'seat';
        b.textContent = String(s.seatNo);
        b.setAttribute('data-testid', 'seat-' + s.seatNo);
        b.setAttribute('data-seat', String(s.seatNo));
        b.addEventListener('click', function () { pickSeat(s.seatNo); });
        grid.appendChild(b);
      });
    }
    if (S.selected != null) {
      var sel = findSeat(S.selected);
      if (!sel || sel.status !== 'AVAILABLE') {
        S.selected = null;
        renderPick('That seat was just taken: choose another.');
      }
    }
    S.seats.forEach(function (s, i) {
      var b = grid.children[i];
      var tier = Math.min(prices.indexOf(s.price), 3);
      var mine = hold && hold.seatNo === s.seatNo;
      var taken = s.status !== 'AVAILABLE' && !mine;
      var cls = 'seat tier-' + tier;
      if (mine) cls += ' mine';
      else if (taken) cls += ' taken' + (s.status === 'SOLD' ? ' sold' : ' held');
      if (S.selected === s.seatNo) cls += ' selected';
      b.className = cls;
      b.setAttribute('data-status', s.status);
      // Taken seats and one's own are disabled; while a hold exists the others only stop
      // answering (aria-disabled), so the map keeps its colours.
      b.disabled = taken || mine;
      if (!b.disabled && S.hold) b.setAttribute('aria-disabled', 'true');
      else b.removeAttribute('aria-disabled');
      b.setAttribute('aria-pressed', S.selected === s.seatNo ? 'true' : 'false');
      var state = mine ? 'held by you' : s.status === 'AVAILABLE' ? 'free' : s.status === 'SOLD' ? 'sold' : 'held by someone';
      b.setAttribute('aria-label', 'Seat ' + s.seatNo + ', ' + money(s.price) + ', ' + state);
      b.title = 'Seat ' + s.seatNo + ' \u00b7 ' + money(s.price) + ' \u00b7 ' + state;
    });
    renderLegend(prices);
  }

  function renderLegend(prices) {
    var legend = $('legend');
    legend.textContent = '';
    var add = function (bg, text) {
      var li = document.createElement('li');
      var sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = bg;
      li.appendChild(sw);
      li.appendChild(document.createTextNode(text));
      legend.appendChild(li);
    };
    prices.forEach(function (p, i) { add('var(--tier-' + Math.min(i, 3) + ')', money(p)); });
    add('var(--taken)', 'Taken');
    add('var(--mine)', 'Your hold');
  }

  function findSeat(no) {
    for (var i = 0; i < S.seats.length; i++) {
      if (S.seats[i].seatNo === no) return S.seats[i];
    }
    return null;
  }

  function pickSeat(no) {
    var s = findSeat(no);
    if (!s || s.status !== 'AVAILABLE' || S.hold) return;
    S.selected = S.selected === no ? null : no;
    renderSeats();
    renderPick();
  }

  function renderPick(note) {
    if (S.venueDate) {
      $('pick-panel').hidden = true;
      venue.renderPick();
      return;
    }
    $('venue-pick').hidden = true;
    var s = S.selected != null ? findSeat(S.selected) : null;
    $('pick-panel').hidden = !!S.hold;
    $('hold').disabled = !s;
    if (s) {
      $('pick-text').textContent = 'Seat ' + s.seatNo + ' \u00b7 ' + money(s.price);
      $('hold').textContent = 'Hold seat ' + s.seatNo;
    } else {
      $('pick-text').textContent = note || 'Tap a free seat to choose it.';
      $('hold').textContent = 'Hold this seat';
    }
  }

  /* ---- hold, release ----------------------------------------------------- */

  function holdSeat() {
    var no = S.selected;
    var sid = S.scheduleId;
    if (no == null || !sid) return;
    clearAlert();
    $('hold').disabled = true;
    api('POST', '/reservations', { body: { scheduleId: sid, seatNo: no }, id: true }).then(function (r) {
      return holdMade(r, sid, no);
    }, function (e) {
      fail(e);
      if (e.code === 'SEAT_TAKEN') {
        S.selected = null;
        renderPick('That seat was just taken: choose another.');
        refreshSeats();
      } else {
        renderPick();
      }
    });
  }

  /* holdMade keeps the hold r (a POST /reservations answer) made on date sid, seatNo its
   * first seat, and shows it with the balance and the points still to charge. A venue
   * date's hold keeps its seats (label and price each). */
  function holdMade(r, sid, seatNo) {
    var span = Date.parse(r.expiresAt) - Date.parse(r.heldAt);
    if (!isFinite(span)) span = Date.parse(r.expiresAt) - Date.now();
    S.hold = {
      reservationId: r.reservationId, scheduleId: sid, seatNo: seatNo, price: r.price,
      seats: S.venueDate && r.seats && r.seats.length ? r.seats : null,
      expiresAt: r.expiresAt, deadline: Date.now() + span
    };
    S.selected = null;
    save();
    renderPick();
    renderHold();
    renderMap();
    refreshMap();
    return refreshBalance().then(suggestCharge);
  }

  function releaseSeat() {
    if (!S.hold) return;
    clearAlert();
    $('release').disabled = true;
    api('DELETE', '/reservations/' + S.hold.reservationId, { id: true }).then(function () {
      dropHold();
    }, function (e) {
      if (e.code === 'RESERVATION_NOT_HELD' || e.code === 'RESERVATION_NOT_FOUND') {
        dropHold();
      }
      fail(e);
    }).then(function () {
      $('release').disabled = false;
    });
  }

  function dropHold() {
    S.hold = null;
    save();
    renderHold();
    renderPick();
    renderMap();
    refreshMap();
  }

  /* renderHold shows the hold panel while seats are held (naming its date when the map
   * shows another one: one hold at a time): the hall's one seat, or a venue hold's seats
   * by label with their prices and the total. */
  function renderHold() {
    var h = S.hold;
    $('hold-panel').hidden = !h;
    $('pick-panel').hidden = !!h || S.venueDate;
    if (!h) return;
    var sc = S.schedules[h.scheduleId];
    var elsewhere = h.scheduleId !== S.scheduleId ? ' on ' + (sc ? when(sc.startsAt) : 'date ' + h.scheduleId) : '';
    var many = !!(h.seats && h.seats.length);
    var plural = many && h.seats.length > 1;
    $('hold-one').hidden = many;
    $('hold-many').hidden = !many;
    $('hold-title').textContent = (plural ? 'Your seats are held' : 'Your seat is held') + (many ? elsewhere : '');
    $('release').textContent = plural ? 'Release the seats' : 'Release the seat';
    if (many) {
      var ul = $('hold-seats');
      ul.textContent = '';
      h.seats.forEach(function (seat) { ul.appendChild(seatItem(seat, 'hold-seat-label')); });
      $('hold-total').textContent = money(h.price);
    } else {
      $('hold-seat').textContent = 'Seat ' + h.seatNo + elsewhere;
      $('hold-price').textContent = money(h.price);
    }
    $('balance').textContent = S.balance == null ? '\u2013' : money(S.balance);
    tickHold();
  }

  /* seatItem makes a list item naming a seat by label with its price (testid on the label). */
  function seatItem(seat, testid) {
    var li = document.createElement('li');
    var name = document.createElement('span');
    name.setAttribute('data-testid', testid);
    name.textContent = seat.label || 'Seat ' + seat.seatNo;
    var price = document.createElement('span');
    price.textContent = money(seat.price);
    li.appendChild(name);
    li.appendChild(price);
    return li;
  }

  function tickHold() {
    if (!S.hold) return;
    var left = S.hold.deadline - Date.now();
    var el = $('hold-countdown');
    el.textContent = mmss(left);
    el.classList.toggle('low', left < 60000);
    if (left <= 0) {
      var many = S.hold.seats && S.hold.seats.length > 1;
      S.hold = null;
      save();
      showAlert(many ? 'Your hold ran out and the seats were released: choose seats again.'
        : 'Your hold ran out and the seat was released: choose a seat again.');
      renderHold();
      renderPick();
      if (S.view === 'seats') {
        renderMap();
        refreshMap();
      }
    }
  }

  /* ---- points and payment ------------------------------------------------ */

  function refreshBalance() {
    if (!S.auth) return Promise.resolve();
    return api('GET', '/users/' + S.auth.userId + '/points', { id: true, ticket: false }).then(function (d) {
      S.balance = d.balance;
      $('balance').textContent = money(d.balance);
    }, fail);
  }

  function suggestCharge() {
    if (!S.hold || S.balance == null) return;
    var need = S.hold.price - S.balance;
    $('charge-amount').value = need > 0 ? String(need) : '';
  }

  function charge(ev) {
    ev.preventDefault();
    if (!S.auth) return;
    var raw = $('charge-amount').value.trim();
    var amount = Number(raw);
    if (!/^\d+$/.test(raw) || amount < 1 || !Number.isSafeInteger(amount)) {
      invalid('charge-amount', 'Enter a whole number of points to charge (1 or more).');
      return;
    }
    clearAlert();
    var sig = S.auth.userId + ':' + amount;
    var key = idemKey('charge', sig);
    $('charge').disabled = true;
    api('POST', '/users/' + S.auth.userId + '/points/charges',
      { body: { amount: amount }, key: key, id: true, ticket: false })
      .then(function (d) {
        delete S.pending.charge;
        S.balance = d.balance;
        $('balance').textContent = money(d.balance);
        suggestCharge();
      }, function (e) {
        if (answered(e)) delete S.pending.charge;
        fail(e);
      }).then(function () {
        $('charge').disabled = false;
      });
  }

  function pay() {
    var h = S.hold;
    if (!h || !S.ticket) return;
    clearAlert();
    var key = idemKey('pay', String(h.reservationId));
    $('pay').disabled = true;
    api('POST', '/payments', { body: { reservationId: h.reservationId }, key: key, id: true }).then(function (p) {
      delete S.pending.pay;
      var sc = S.schedules[h.scheduleId];
      S.done = {
        paymentId: p.paymentId, amount: p.amount, balance: p.balance,
        seatNo: p.seatNo || h.seatNo, scheduleId: p.scheduleId || h.scheduleId,
        seats: h.seats ? (p.seats && p.seats.length && p.seats[0].label ? p.seats : h.seats) : null,
        concert: concertTitle(S.ticket.concertId), startsAt: sc ? sc.startsAt : null,
        place: { userId: S.ticket.userId, concertId: S.ticket.concertId }
      };
      // The payment ends the token: nothing more is done with it.
      S.ticket = null;
      S.hold = null;
      S.scheduleId = null;
      save();
      showDone();
    }, function (e) {
      if (answered(e)) delete S.pending.pay;
      if (e.code === 'INSUFFICIENT_POINTS') {
        refreshBalance().then(suggestCharge);
        $('charge-amount').focus();
      } else if (e.code === 'HOLD_EXPIRED' || e.code === 'RESERVATION_NOT_HELD') {
        dropHold();
      }
      fail(e);
    }).then(function () {
      $('pay').disabled = false;
    });
  }

  /* showDone shows the receipt: the hall's seat, or a venue purchase's seats by label with
   * their prices; the amount, the status (REFUNDED once refunded, with the points back) and
   * the balance; a Refund button until refunded. */
  function showDone() {
    var d = S.done;
    var many = !!(d.seats && d.seats.length);
    var plural = many && d.seats.length > 1;
    $('done-title').textContent = d.refundedAt
      ? 'Refunded: ' + (plural ? 'the seats are' : 'the seat is') + ' back on sale'
      : plural ? 'Paid: the seats are yours' : 'Paid: the seat is yours';
    $('done-payment').textContent = String(d.paymentId);
    $('done-concert').textContent = d.concert;
    $('done-date').textContent = d.startsAt ? when(d.startsAt) : 'date ' + d.scheduleId;
    $('done-seat-term').textContent = plural ? 'Seats' : 'Seat';
    var seatBox = $('done-seat');
    seatBox.textContent = '';
    if (many) {
      var ul = document.createElement('ul');
      ul.className = 'seat-list';
      d.seats.forEach(function (seat) { ul.appendChild(seatItem(seat, 'confirm-seat-label')); });
      seatBox.appendChild(ul);
    } else {
      seatBox.textContent = 'Seat ' + d.seatNo;
    }
    $('done-amount').textContent = money(d.amount);
    var st = $('done-status');
    st.textContent = '';
    if (d.refundedAt) {
      var badge = document.createElement('span');
      badge.className = 'badge';
      badge.setAttribute('data-testid', 'confirm-refunded');
      badge.textContent = 'REFUNDED';
      st.appendChild(badge);
      st.appendChild(document.createTextNode(' ' + when(d.refundedAt)));
    } else {
      st.textContent = 'Paid';
    }
    $('done-back-term').hidden = !d.refundedAt;
    $('done-back').hidden = !d.refundedAt;
    $('done-back').textContent = d.refundedAt ? '+' + money(d.amount) : '';
    $('done-balance').textContent = d.balance == null ? '\u2013' : money(d.balance);
    $('refund-box').hidden = !!d.refundedAt;
    $('refund-ask').hidden = true;
    $('refund').hidden = false;
    show('done');
  }

  /* askRefund asks to confirm the refund before anything is sent. */
  function askRefund() {
    var d = S.done;
    if (!d || d.refundedAt) return;
    var n = d.seats && d.seats.length ? d.seats.length : 1;
    $('refund-ask-text').textContent = 'Refund ' + (n > 1 ? 'these ' + n + ' seats' : 'this seat') + '? ' +
      money(d.amount) + ' go back to your balance and the seat' + (n > 1 ? 's go' : ' goes') +
      ' back on sale. This cannot be undone.';
    $('refund').hidden = true;
    $('refund-ask').hidden = false;
    $('refund-yes').focus();
  }

  function cancelRefund() {
    $('refund-ask').hidden = true;
    $('refund').hidden = false;
    $('refund').focus();
  }

  /* refund gives the purchase back (POST /payments/{id}/refund, no Queue-Token: the paying
   * token has ended), then reads the balance and shows the receipt as REFUNDED. */
  function refund() {
    var d = S.done;
    if (!d || d.refundedAt || !S.auth) return;
    clearAlert();
    var key = idemKey('refund', String(d.paymentId));
    $('refund-yes').disabled = true;
    api('POST', '/payments/' + d.paymentId + '/refund', { key: key, id: true, ticket: false }).then(function (p) {
      delete S.pending.refund;
      d.refundedAt = (p && p.refundedAt) || new Date().toISOString();
      d.balance = null;
      save();
      return api('GET', '/users/' + S.auth.userId + '/points', { id: true, ticket: false }).then(function (b) {
        d.balance = b.balance;
      }, function () { /* shown as unknown */ }).then(function () {
        save();
        showDone();
        showNotice('Refunded: ', money(d.amount), ' are back in your balance.');
      });
    }, function (e) {
      if (answered(e)) {
        delete S.pending.refund;
        $('refund-ask').hidden = true;
        $('refund').hidden = false;
      }
      fail(e);
    }).then(function () {
      $('refund-yes').disabled = false;
    });
  }

  /* ---- start ------------------------------------------------------------- */

  function resume() {
    if (!S.auth) {
      show('signin');
      return Promise.resolve();
    }
    if (Date.parse(S.auth.expiresAt) <= Date.now()) {
      sessionLost({ code: 'SESSION_EXPIRED' });
      return Promise.resolve();
    }
    if (S.done) {
      showDone();
      return Promise.resolve();
    }
    if (!S.ticket) {
      show('join');
      return Promise.resolve();
    }
    // One status read on load; from here on the push channel says what changes.
    return api('GET', '/queue/tokens/current').then(function (t) {
      applyToken(t);
    }, function (e) {
      if (e.code === 'NETWORK' || e.status >= 500) {
        show('join');
        showAlert(e.message);
        return;
      }
      fail(e);
      if (S.view == null) show('join');
    });
  }

  function wire() {
    $('signin-form').addEventListener('submit', signIn);
    $('signup-form').addEventListener('submit', signUp);
    $('sign-out').addEventListener('click', signOut);
    $('leave').addEventListener('click', leaveLine);
    $('join-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var cid = Number($('concert').value);
      if (!cid) {
        showAlert('Choose a concert.');
        return;
      }
      join(cid);
    });
    $('rejoin').addEventListener('click', rejoin);
    $('alert-close').addEventListener('click', clearAlert);
    $('notice-close').addEventListener('click', clearNotice);
    $('back-dates').addEventListener('click', function () {
      enterDates();
    });
    $('hold').addEventListener('click', holdSeat);
    $('release').addEventListener('click', releaseSeat);
    $('charge-form').addEventListener('submit', charge);
    $('pay').addEventListener('click', pay);
    $('refund').addEventListener('click', askRefund);
    $('refund-yes').addEventListener('click', refund);
    $('refund-no').addEventListener('click', cancelRefund);
    $('again').addEventListener('click', function () {
      var s = S.done && S.done.place;
      forget();
      show('join');
      if (s) $('concert').value = String(s.concertId);
    });
    window.addEventListener('online', function () { push.retryNow(); });
    setInterval(function () {
      if (S.view === 'wait') renderEta();
      if (S.hold) tickHold();
      if (S.retryUntil != null) tickRetry();
    }, 250);
  }

  function start() {
    if (typeof window.boxofficeVenue === 'function') {
      venue = window.boxofficeVenue({
        S: S, $: $, api: api, ApiError: ApiError, fail: fail, money: money, showAlert: showAlert,
        clearAlert: clearAlert, holdMade: holdMade, notVenue: notVenue, stopSeatTimer: stopSeatTimer
      });
    }
    restore();
    wire();
    if (S.ticket) $('signin-user').value = String(S.ticket.userId);
    if (S.auth) $('signin-user').value = String(S.auth.userId);
    loadConcerts().then(resume);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
