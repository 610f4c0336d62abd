/*
 * boxoffice venue dates (plain JS, no build step; loaded before app.js).
 *
 * One concern: the seat picker of a date that stands on a venue of sections and rows. The
 * sections come first (name, price, free of total, a bar), then the grid of one section
 * (up to 2,000 seats: one light cell per seat, built once per section from a string, one
 * delegated click and key handler for the whole grid, and on each refresh only the cells
 * whose state changed are touched). Both are read every 2 s while shown: GET /sections and
 * the section's compact map (one status letter per seat, row by row, row 1 nearest the
 * stage). The buyer picks up to MAX_PER_HOLD seats and holds them in one hold, or lets the
 * service pick the best available ones. A 409 SEAT_TAKEN marks the seats it names taken;
 * NOT_ENOUGH_SEATS suggests other sections.
 *
 * app.js owns the flow (views, timer, the hold panel, payment, receipt, refund) and calls
 * in through the object window.boxofficeVenue(core) returns: enter, refresh, render,
 * renderPick, reset. core gives S (the page state), $, api, ApiError, fail, money,
 * showAlert, clearAlert, holdMade (keeps a new hold and shows it) and notVenue (the date
 * turned out to be a hall date).
 */
(function () {
  'use strict';

  var MAX_PER_HOLD = 4; // the service's default maxSeatsPerHold (admin-only to read)
  var ZOOM = [5, 6, 7, 9, 12, 16, 20, 26]; // seat sizes, px
  var WORD = { A: 'free', H: 'held by someone', S: 'sold' };

  window.boxofficeVenue = function (core) {
    var S = core.S;
    var $ = core.$;
    var money = core.money;

    var V = {
      sid: null,        // the date shown
      sections: [],     // GET /sections, in the venue's order
      tiers: [],        // the sections' prices, dearest first
      section: null,    // name of the section whose grid is shown
      info: null,       // that section's entry of sections
      built: null,      // "sid:section:count" of the grid in the DOM
      first: 0,         // first seat number of the grid
      cols: 0,          // seats per row of the grid
      statuses: '',     // the grid's last compact statuses
      drawn: [],        // class string per cell as drawn
      cells: [],        // the cell elements
      selected: [],     // [{seatNo, section, row, number, label, price}] picked, not held
      focus: 0,         // index of the cell that takes the Tab focus
      zoom: -1,         // index into ZOOM; -1 until the first grid chooses one
      busy: null,       // the read under way (a promise), or null
      again: false      // read again once it is done
    };

    /* ---- places ---------------------------------------------------------------- */

    function sectionOf(no) {
      for (var i = 0; i < V.sections.length; i++) {
        var s = V.sections[i];
        if (no >= s.firstSeatNo && no < s.firstSeatNo + s.totalSeats) return s;
      }
      return null;
    }

    /* placeOf gives a seat number's place {seatNo, section, row, number, label, price}, or a
     * bare {seatNo, label: "Seat N"} when its section is unknown. */
    function placeOf(no) {
      var s = sectionOf(no);
      if (!s || !s.seatsPerRow) return { seatNo: no, label: 'Seat ' + no, price: s ? s.price : 0 };
      var i = no - s.firstSeatNo;
      var row = Math.floor(i / s.seatsPerRow) + 1;
      var number = (i % s.seatsPerRow) + 1;
      return {
        seatNo: no, section: s.name, row: row, number: number,
        label: s.name + '-' + row + '-' + number, price: s.price
      };
    }

    function labels(seats) {
      return seats.map(function (s) { return s.label || 'Seat ' + s.seatNo; }).join(', ');
    }

    function tierOf(price) {
      return Math.min(Math.max(V.tiers.indexOf(price), 0), 3);
    }

    /* heldHere maps the seat numbers of the page's hold on the shown date to true. */
    function heldHere() {
      var m = {};
      var h = S.hold;
      if (!h || h.scheduleId !== V.sid) return m;
      if (h.seats && h.seats.length) h.seats.forEach(function (s) { m[s.seatNo] = true; });
      else if (h.seatNo) m[h.seatNo] = true;
      return m;
    }

    function selectedIndex(no) {
      for (var i = 0; i < V.selected.length; i++) {
        if (V.selected[i].seatNo === no) return i;
      }
      return -1;
    }

    /* ---- entering, refreshing ---------------------------------------------------- */

    /* reset forgets the date shown and the seats picked. */
    function reset() {
      V.sid = null;
      V.sections = [];
      V.section = null;
      V.info = null;
      V.built = null;
      V.statuses = '';
      V.selected = [];
      $('sections').textContent = '';
      $('vgrid').textContent = '';
      $('best-section').textContent = '';
      V.cells = [];
      V.drawn = [];
    }

    /* enter shows the venue parts of the seat view for date sid (the caller has shown the
     * view) and reads its sections and map. */
    function enter(sid) {
      if (V.sid !== sid) {
        reset();
        V.sid = sid;
      }
      $('hall-map').hidden = true;
      $('venue-map').hidden = false;
      $('pick-panel').hidden = true;
      $('pick-note').textContent = '';
      var h = S.hold;
      if (h && h.scheduleId === sid && h.seats && h.seats.length && h.seats[0].section) {
        V.section = h.seats[0].section;
      }
      renderPick();
      return refresh();
    }

    /* refresh reads the sections, then the shown section's compact map (once: not while a
     * read is under way). */
    function refresh() {
      if (S.view !== 'seats' || V.sid == null) return Promise.resolve();
      if (V.busy) {
        V.again = true; // a section chosen mid-read is read right after
        return V.busy;
      }
      var sid = V.sid;
      V.busy = core.api('GET', '/schedules/' + sid + '/sections').then(function (d) {
        if (V.sid !== sid) return null;
        applySections((d && d.sections) || []);
        return V.info ? readMap(sid, V.info) : null;
      }).then(function () {
        if (V.sid === sid) $('seats-updated').textContent = 'Updated ' + new Date().toLocaleTimeString('en-GB');
      }, function (e) {
        if (!(e instanceof core.ApiError)) {
          setTimeout(function () { throw e; }, 0); // a bug: let it show as one
        } else if (S.view !== 'seats' || V.sid !== sid) {
          // answered after the user left the map (paying ends the token mid-read): not the
          // page now shown
        } else if (e.code === 'NO_SECTIONS') {
          core.notVenue(sid);
        } else if (/^TOKEN_|^WRONG_CONCERT$|NOT_FOUND$/.test(e.code)) {
          core.fail(e);
          core.stopSeatTimer();
        } else {
          $('seats-updated').textContent = 'Could not refresh the seats (' + e.message + '); retrying\u2026';
        }
      }).then(function () {
        V.busy = null;
        if (V.again) {
          V.again = false;
          return refresh();
        }
        return null;
      });
      return V.busy;
    }

    /* readMap reads one section's compact map and draws it; a section answered without its
     * shape (rows, seatsPerRow) gets it once from the section's full seat list. */
    function readMap(sid, info) {
      var base = '/schedules/' + sid + '/seats?section=' + encodeURIComponent(info.name);
      var shaped = info.seatsPerRow ? Promise.resolve() : core.api('GET', base).then(function (d) {
        var seats = (d && d.seats) || [];
        info.rows = 0;
        info.seatsPerRow = 0;
        info.firstSeatNo = seats.length ? seats[0].seatNo : info.firstSeatNo;
        seats.forEach(function (s) {
          info.rows = Math.max(info.rows, s.row || 0);
          info.seatsPerRow = Math.max(info.seatsPerRow, s.number || 0);
        });
      });
      return shaped.then(function () {
        return core.api('GET', base + '&format=compact');
      }).then(function (m) {
        if (V.sid !== sid || V.section !== info.name || S.view !== 'seats') return;
        applyMap(info, m || {});
      });
    }

    /* ---- sections ------------------------------------------------------------------ */

    function applySections(list) {
      var names = list.map(function (s) { return s.name; }).join(',');
      var old = V.sections.map(function (s) { return s.name; }).join(',');
      // Keep shapes learned from full seat lists across refreshes.
      list.forEach(function (s) {
        V.sections.forEach(function (o) {
          if (o.name === s.name && !s.seatsPerRow && o.seatsPerRow) {
            s.rows = o.rows;
            s.seatsPerRow = o.seatsPerRow;
            s.firstSeatNo = o.firstSeatNo;
          }
        });
      });
      V.sections = list;
      V.tiers = [];
      list.forEach(function (s) { if (V.tiers.indexOf(s.price) < 0) V.tiers.push(s.price); });
      V.tiers.sort(function (a, b) { return b - a; });
      if (!V.section || !list.some(function (s) { return s.name === V.section; })) {
        var open = list.filter(function (s) { return s.availableSeats > 0; })[0];
        V.section = open ? open.name : list.length ? list[0].name : null;
      }
      V.info = null;
      list.forEach(function (s) { if (s.name === V.section) V.info = s; });
      if (names !== old || !$('sections').children.length) buildSections(list);
      list.forEach(function (s, i) { drawSection($('sections').children[i].firstChild, s); });
      renderSectionTitle();
    }

    function buildSections(list) {
      var ul = $('sections');
      var sel = $('best-section');
      var keep = sel.value;
      ul.textContent = '';
      sel.textContent = '';
      list.forEach(function (s) {
        var li = document.createElement('li');
        var b = document.createElement('button');
        b.type = 'button';
        b.className = 'sec';
        b.setAttribute('data-section', s.name);
        b.setAttribute('data-testid', 'section-' + s.name);
        var name = document.createElement('span');
        name.className = 'sec-name';
        name.textContent = 'Section ' + s.name;
        var price = document.createElement('span');
        price.className = 'sec-price';
        var avail = document.createElement('span');
        avail.className = 'sec-avail';
        avail.setAttribute('data-testid', 'section-' + s.name + '-available');
        var bar = document.createElement('span');
        bar.className = 'bar';
        bar.setAttribute('aria-hidden', 'true');
        bar.appendChild(document.createElement('span'));
        b.appendChild(name);
        b.appendChild(price);
        b.appendChild(avail);
        b.appendChild(bar);
        li.appendChild(b);
        ul.appendChild(li);
        var o = document.createElement('option');
        o.value = s.name;
        sel.appendChild(o);
      });
      sel.value = keep && list.some(function (s) { return s.name === keep; }) ? keep : V.section || '';
    }

    function drawSection(b, s) {
      var free = s.availableSeats;
      var total = s.totalSeats;
      b.className = 'sec tier-' + tierOf(s.price) + (free === 0 ? ' soldout' : '');
      b.setAttribute('aria-pressed', s.name === V.section ? 'true' : 'false');
      b.children[1].textContent = money(s.price);
      b.children[2].textContent = free === 0 ? 'Sold out' : free.toLocaleString('en-US') + ' of ' + total.toLocaleString('en-US') + ' free';
      b.children[3].firstChild.style.width = (total > 0 ? (100 * free) / total : 0).toFixed(1) + '%';
      b.setAttribute('aria-label', 'Section ' + s.name + ', ' + money(s.price) + ', ' + b.children[2].textContent);
      var o = null;
      var opts = $('best-section').options;
      for (var i = 0; i < opts.length; i++) if (opts[i].value === s.name) o = opts[i];
      if (o) o.textContent = s.name + ' \u00b7 ' + free.toLocaleString('en-US') + ' free';
    }

    function renderSectionTitle() {
      var s = V.info;
      $('section-title').textContent = s
        ? 'Section ' + s.name + ' \u00b7 ' + money(s.price) + ' a seat'
        : 'No sections';
    }

    /* showSection switches the grid to section name (drawn at the next read, at once). */
    function showSection(name) {
      if (V.section === name) return Promise.resolve();
      V.section = name;
      V.info = null;
      V.sections.forEach(function (s) { if (s.name === name) V.info = s; });
      V.sections.forEach(function (s, i) {
        var b = $('sections').children[i];
        if (b) b.firstChild.setAttribute('aria-pressed', s.name === name ? 'true' : 'false');
      });
      $('best-section').value = name;
      renderSectionTitle();
      $('vgrid').setAttribute('aria-busy', 'true');
      return refresh().then(function () { $('vgrid').removeAttribute('aria-busy'); });
    }

    /* ---- the grid -------------------------------------------------------------------- */

    /* build puts one section's grid in the DOM: a header of seat numbers, then each row
     * (its label, then its seats) as one string, so 2,000 seats cost one parse. */
    function build(info, count, first) {
      var cols = info.seatsPerRow || count;
      var rows = Math.ceil(count / cols);
      var grid = $('vgrid');
      var html = ['<div class="vrow vhead" aria-hidden="true"><span class="vrl"></span>'];
      for (var n = 1; n <= cols; n++) {
        html.push('<span class="vn">' + (n === 1 || n % 10 === 0 ? n : '') + '</span>');
      }
      html.push('</div>');
      for (var r = 0; r < rows; r++) {
        var m5 = r === 0 || (r + 1) % 5 === 0 ? ' m5' : ''; // labelled when seats are tiny
        html.push('<div class="vrow' + m5 + '" role="row"><span class="vrl" role="rowheader" aria-label="Row ' + (r + 1) + '">' +
          (r + 1) + '</span>');
        for (var c = 0; c < cols && r * cols + c < count; c++) {
          var i = r * cols + c;
          html.push('<span class="vs" role="gridcell" tabindex="-1" data-i="' + i + '" data-label="' +
            info.name + '-' + (r + 1) + '-' + (c + 1) + '"></span>');
        }
        html.push('</div>');
      }
      grid.innerHTML = html.join('');
      V.cells = Array.prototype.slice.call(grid.querySelectorAll('.vs'));
      V.drawn = new Array(count);
      V.first = first;
      V.cols = cols;
      V.focus = 0;
      if (V.cells.length) V.cells[0].tabIndex = 0;
      $('venue-map').className = 'tier-' + tierOf(info.price); // free seats' colour, in the legend too
      grid.setAttribute('aria-rowcount', String(rows));
      grid.setAttribute('aria-colcount', String(cols));
      if (V.zoom < 0) V.zoom = fitZoom(cols);
      applyZoom();
      $('vgrid-scroll').scrollLeft = 0;
      $('vgrid-scroll').scrollTop = 0;
    }

    /* fitZoom picks the first seat size: on a wide screen the largest that shows whole rows
     * (5 px at least: a mouse, and + to zoom); on a narrow one (a finger) 20 px seats, the
     * grid scrolled sideways and - to see the whole section. */
    function fitZoom(cols) {
      var width = $('vgrid-scroll').clientWidth - 36; // the row labels
      var fit = Math.floor(width / cols) - 1;
      var z = ZOOM.indexOf(20);
      if (width >= 560 && fit >= ZOOM[0]) {
        for (var i = 0; i < ZOOM.length; i++) if (ZOOM[i] <= fit) z = i;
      }
      return z;
    }

    function applyZoom() {
      var px = ZOOM[V.zoom];
      var grid = $('vgrid');
      grid.style.setProperty('--seat', px + 'px');
      grid.style.setProperty('--gap', (px >= 12 ? 3 : 1) + 'px');
      grid.classList.toggle('tiny', px < 12);
      $('zoom-out').disabled = V.zoom <= 0;
      $('zoom-in').disabled = V.zoom >= ZOOM.length - 1;
    }

    function zoom(step) {
      var z = Math.min(ZOOM.length - 1, Math.max(0, V.zoom + step));
      if (z === V.zoom) return;
      var box = $('vgrid-scroll');
      var cx = (box.scrollLeft + box.clientWidth / 2) / Math.max(1, box.scrollWidth);
      var cy = (box.scrollTop + box.clientHeight / 2) / Math.max(1, box.scrollHeight);
      V.zoom = z;
      applyZoom();
      box.scrollLeft = cx * box.scrollWidth - box.clientWidth / 2;
      box.scrollTop = cy * box.scrollHeight - box.clientHeight / 2;
    }

    function applyMap(info, m) {
      var st = typeof m.statuses === 'string' ? m.statuses : '';
      var first = m.firstSeatNo || info.firstSeatNo;
      var key = V.sid + ':' + info.name + ':' + st.length;
      if (V.built !== key) {
        build(info, st.length, first);
        V.built = key;
      }
      V.statuses = st;
      dropTaken();
      draw();
    }

    /* draw gives every cell the class of its state; only changed cells are touched. */
    function draw() {
      var st = V.statuses;
      $('vgrid').classList.toggle('locked', !!S.hold); // seats held: no picking until paid or released
      var mine = heldHere();
      var picked = {};
      V.selected.forEach(function (s) { picked[s.seatNo] = true; });
      var price = V.info ? money(V.info.price) : '';
      for (var i = 0; i < V.cells.length; i++) {
        var no = V.first + i;
        var ch = st.charAt(i) || 'H';
        var state = mine[no] ? 'mine' : ch === 'A' ? 'free' : ch === 'S' ? 'sold' : 'held';
        var cls = 'vs ' + state + (picked[no] ? ' sel' : '');
        if (V.drawn[i] === cls) continue;
        var c = V.cells[i];
        c.className = cls;
        c.setAttribute('data-status', ch);
        c.setAttribute('aria-selected', picked[no] ? 'true' : 'false');
        var text = c.getAttribute('data-label') + ', ' + (state === 'mine' ? 'held by you' : WORD[ch] || 'taken') +
          (ch === 'A' ? ', ' + price : '') + (picked[no] ? ', selected' : '');
        c.setAttribute('aria-label', text);
        c.title = text;
        V.drawn[i] = cls;
      }
    }

    /* dropTaken unselects picked seats of the shown section that someone else took. */
    function dropTaken() {
      var gone = [];
      var mine = heldHere();
      V.selected = V.selected.filter(function (s) {
        var i = s.seatNo - V.first;
        if (s.section !== (V.info && V.info.name) || i < 0 || i >= V.statuses.length) return true;
        if (V.statuses.charAt(i) === 'A' || mine[s.seatNo]) return true;
        gone.push(s);
        return false;
      });
      if (gone.length) {
        renderPick((gone.length === 1 ? labels(gone) + ' was' : labels(gone) + ' were') +
          ' just taken by someone else: choose another.');
      }
    }

    function note(text) {
      $('pick-note').textContent = text;
    }

    /* toggle picks or unpicks cell i of the grid. */
    function toggle(i) {
      if (i < 0 || i >= V.cells.length) return;
      var no = V.first + i;
      var k = selectedIndex(no);
      if (S.hold) {
        note('You hold seats already: pay for them or release them first.');
        return;
      }
      if (k >= 0) {
        V.selected.splice(k, 1);
        note('');
      } else if (V.statuses.charAt(i) !== 'A') {
        note(V.cells[i].getAttribute('data-label') + ' is taken: choose a free seat.');
        return;
      } else if (V.selected.length >= MAX_PER_HOLD) {
        note('At most ' + MAX_PER_HOLD + ' seats in one hold: unselect one first.');
        return;
      } else {
        V.selected.push(placeOf(no));
        note('');
      }
      draw();
      renderPick();
    }

    function focusCell(i) {
      if (i < 0 || i >= V.cells.length) return;
      V.cells[V.focus].tabIndex = -1;
      V.focus = i;
      V.cells[i].tabIndex = 0;
      V.cells[i].focus();
    }

    function onGridClick(ev) {
      var c = ev.target.closest ? ev.target.closest('.vs') : null;
      if (!c) return;
      var i = Number(c.getAttribute('data-i'));
      V.cells[V.focus].tabIndex = -1;
      V.focus = i;
      c.tabIndex = 0;
      toggle(i);
    }

    function onGridKey(ev) {
      if (!V.cells.length) return;
      var i = V.focus;
      var moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -V.cols, ArrowDown: V.cols };
      if (moves[ev.key] !== undefined) {
        focusCell(i + moves[ev.key]);
        ev.preventDefault();
      } else if (ev.key === 'Enter' || ev.key === ' ') {
        toggle(i);
        ev.preventDefault();
      }
    }

    /* ---- the pick panel ----------------------------------------------------------- */

    /* renderPick shows what is picked (label and price each, the total) while nothing is
     * held; noteText, when given, replaces the note under it. */
    function renderPick(noteText) {
      $('venue-pick').hidden = !!S.hold;
      var n = V.selected.length;
      $('pick-count').textContent = n + ' of ' + MAX_PER_HOLD + ' seats selected';
      var ul = $('pick-seats');
      ul.textContent = '';
      var total = 0;
      V.selected.forEach(function (s) {
        total += s.price || 0;
        var li = document.createElement('li');
        li.setAttribute('data-testid', 'pick-seat');
        var name = document.createElement('span');
        name.textContent = s.label;
        var price = document.createElement('span');
        price.textContent = money(s.price);
        var x = document.createElement('button');
        x.type = 'button';
        x.className = 'link';
        x.setAttribute('data-seat', String(s.seatNo));
        x.setAttribute('aria-label', 'Unselect ' + s.label);
        x.textContent = '\u00d7';
        li.appendChild(name);
        li.appendChild(price);
        li.appendChild(x);
        ul.appendChild(li);
      });
      $('pick-total-line').hidden = n === 0;
      $('pick-total').textContent = money(total);
      $('hold-selected').disabled = n === 0;
      $('hold-selected').textContent = n === 0 ? 'Hold selected' : 'Hold ' + n + (n === 1 ? ' seat' : ' seats');
      $('clear-selected').hidden = n === 0;
      if (noteText !== undefined) note(noteText);
    }

    function unpick(no) {
      var k = selectedIndex(no);
      if (k < 0) return;
      V.selected.splice(k, 1);
      draw();
      renderPick('');
    }

    /* render redraws the grid and the panel after the hold changed (app.js). */
    function render() {
      var h = S.hold;
      if (h && h.scheduleId === V.sid && h.seats && h.seats.length && h.seats[0].section &&
          h.seats[0].section !== V.section) {
        showSection(h.seats[0].section);
      }
      draw();
      renderPick();
    }

    /* ---- holding -------------------------------------------------------------------- */

    /* held keeps the hold r made on date sid; seats names what was asked for when the
     * answer does not list its seats. */
    function held(r, sid, seats) {
      if (!r.seats || !r.seats.length) {
        r.seats = seats || (r.seatNo ? [placeOf(r.seatNo)] : []);
      }
      V.selected = [];
      note('');
      $('best-note').textContent = '';
      return core.holdMade(r, sid, r.seats.length ? r.seats[0].seatNo : r.seatNo);
    }

    function holdSelected() {
      var sid = V.sid;
      var picked = V.selected.slice();
      if (!picked.length || S.hold) return;
      core.clearAlert();
      $('hold-selected').disabled = true;
      core.api('POST', '/reservations', {
        body: { scheduleId: sid, seatNos: picked.map(function (s) { return s.seatNo; }) }, id: true
      }).then(function (r) {
        return held(r, sid, picked);
      }, function (e) {
        if (e.code === 'SEAT_TAKEN') {
          seatsTaken(e);
        } else {
          core.fail(e);
          note(e.message);
        }
        renderPick();
      });
    }

    /* seatsTaken marks the seats a 409 SEAT_TAKEN names taken, unselects them and says
     * so (nothing was held). */
    function seatsTaken(e) {
      var nos = (e.detail && e.detail.seatNos) || [];
      var taken = nos.map(placeOf);
      nos.forEach(function (no) {
        var i = no - V.first;
        if (i >= 0 && i < V.statuses.length && V.statuses.charAt(i) === 'A') {
          V.statuses = V.statuses.slice(0, i) + 'H' + V.statuses.slice(i + 1);
        }
        var k = selectedIndex(no);
        if (k >= 0) V.selected.splice(k, 1);
      });
      draw();
      var text = taken.length
        ? (taken.length === 1 ? 'Seat ' + labels(taken) + ' was' : 'Seats ' + labels(taken) + ' were') +
          ' just taken by someone else, so nothing was held: choose ' + (taken.length === 1 ? 'another seat.' : 'other seats.')
        : 'One of the seats was just taken by someone else, so nothing was held: choose again.';
      core.showAlert(text);
      renderPick(text); // also next to the button: the alert may be scrolled out of sight
      refresh();
    }

    function bestAvailable(ev) {
      ev.preventDefault();
      var sid = V.sid;
      var name = $('best-section').value;
      var quantity = Number($('best-qty').value);
      var together = $('best-together').checked;
      if (!name || S.hold) return;
      core.clearAlert();
      $('best-note').textContent = '';
      $('best-hold').disabled = true;
      core.api('POST', '/reservations', {
        body: { scheduleId: sid, section: name, quantity: quantity, together: together }, id: true
      }).then(function (r) {
        return held(r, sid, null);
      }, function (e) {
        if (e.code === 'NOT_ENOUGH_SEATS') {
          notEnough(name, quantity, together);
        } else {
          core.fail(e);
          $('best-note').textContent = e.message;
        }
      }).then(function () {
        $('best-hold').disabled = false;
      });
    }

    /* notEnough says a section has not that many free seats (together) and names the
     * sections that have the most. */
    function notEnough(name, quantity, together) {
      var others = V.sections.filter(function (s) {
        return s.name !== name && s.availableSeats >= quantity;
      }).sort(function (a, b) { return b.availableSeats - a.availableSeats; }).slice(0, 2);
      var text = 'Section ' + name + ' has no ' + quantity + (quantity === 1 ? ' free seat' : ' free seats') +
        (together && quantity > 1 ? ' together in one row' : '') + ' left. ';
      if (others.length) {
        text += 'Try section ' + others.map(function (s) {
          return s.name + ' (' + s.availableSeats.toLocaleString('en-US') + ' free)';
        }).join(' or ') + '.';
      } else {
        text += 'Try fewer seats' + (together && quantity > 1 ? ', or seats not together.' : '.');
      }
      core.showAlert(text);
      $('best-note').textContent = text; // also next to the button
      refresh();
    }

    /* ---- wiring ------------------------------------------------------------------------ */

    $('sections').addEventListener('click', function (ev) {
      var b = ev.target.closest ? ev.target.closest('button[data-section]') : null;
      if (b) showSection(b.getAttribute('data-section'));
    });
    $('vgrid').addEventListener('click', onGridClick);
    $('vgrid').addEventListener('keydown', onGridKey);
    $('zoom-in').addEventListener('click', function () { zoom(1); });
    $('zoom-out').addEventListener('click', function () { zoom(-1); });
    $('pick-seats').addEventListener('click', function (ev) {
      var b = ev.target.closest ? ev.target.closest('button[data-seat]') : null;
      if (b) unpick(Number(b.getAttribute('data-seat')));
    });
    $('hold-selected').addEventListener('click', holdSelected);
    $('clear-selected').addEventListener('click', function () {
      V.selected = [];
      draw();
      renderPick('');
    });
    $('best-form').addEventListener('submit', bestAvailable);

    return { enter: enter, refresh: refresh, render: render, renderPick: renderPick, reset: reset };
  };
})();
