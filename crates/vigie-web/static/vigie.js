// Vigie's scripts, served as /static/vigie.<hash>.js with `defer` (no inline script, so that the
// Content-Security-Policy needs no 'unsafe-inline'). Each part acts only on the page that has
// its elements; every page works without them.
'use strict';

// « Lieux près de moi »: sorts the list by distance from where the visitor stands, in the
// browser — the position never leaves the device — and offers to file a request at the
// nearest place. Shown only where the browser can locate.
(function () {
  var near = document.getElementById('near');
  var table = document.getElementById('objects-list');
  if (!near || !table || !navigator.geolocation) return;
  near.hidden = false;
  var button = document.getElementById('near-me');
  var status = document.getElementById('near-status');
  var lang = document.documentElement.lang || 'fr';
  function metres(lat1, lon1, lat2, lon2) {
    var rad = Math.PI / 180, dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    var a = Math.pow(Math.sin(dlat / 2), 2) + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.pow(Math.sin(dlon / 2), 2);
    return 6371008.8 * 2 * Math.asin(Math.min(1, Math.sqrt(a)));
  }
  function shown(m) {
    return m < 1000 ? Math.round(m / 10) * 10 + ' m'
      : (m / 1000).toLocaleString(lang, { maximumFractionDigits: 1 }) + ' km';
  }
  // Rows of the places of this page of the list, with their distance.
  function pageRows(lat, lon) {
    var rows = Array.prototype.slice.call(table.querySelectorAll('tr[data-id]'));
    rows.forEach(function (r) {
      r.dataset.distance = r.dataset.lat ? metres(lat, lon, +r.dataset.lat, +r.dataset.lon) : Infinity;
    });
    return rows;
  }
  // When the list has several pages: the nearest of every place of the collective, from the
  // compact layer (the same download for everyone: the position is not in it), as rows.
  function nearestRows(lat, lon, done, failed) {
    fetch(table.dataset.places, { credentials: 'same-origin' })
      .then(function (r) { if (r.status !== 200) throw new Error(r.status); return r.json(); })
      .then(function (layer) {
        var c = {};
        layer.columns.forEach(function (name, i) { c[name] = i; });
        var near = [];
        layer.rows.forEach(function (p) {
          if (p[c.latitude] == null || p[c.longitude] == null) return;
          near.push({ p: p, d: metres(lat, lon, p[c.latitude], p[c.longitude]) });
        });
        near.sort(function (a, b) { return a.d - b.d; });
        table.querySelectorAll('tr[data-id]').forEach(function (r) { r.remove(); });
        var parent = table.tBodies[0] || table;
        var rows = near.slice(0, 50).map(function (n) {
          var tr = document.createElement('tr');
          tr.dataset.id = n.p[c.id];
          tr.dataset.distance = n.d;
          var name = document.createElement('td');
          var a = document.createElement('a');
          a.href = '/t/' + table.dataset.slug + '/o/' + n.p[c.id];
          a.textContent = n.p[c.name];
          name.appendChild(a);
          var ident = document.createElement('td');
          ident.className = 'identifier';
          ident.textContent = n.p[c.identifier];
          var city = document.createElement('td');
          city.textContent = n.p[c.city] || '';
          var open = document.createElement('td');
          open.className = 'open-requests';
          var dist = document.createElement('td');
          dist.className = 'distance';
          [name, ident, city, open, dist].forEach(function (td) { tr.appendChild(td); });
          parent.appendChild(tr);
          return tr;
        });
        var pager = document.getElementById('pager');
        if (pager) pager.hidden = true;
        done(rows);
      })
      .catch(failed);
  }
  function show(rows) {
    rows.sort(function (a, b) { return a.dataset.distance - b.dataset.distance; });
    rows.forEach(function (r) {
      r.parentNode.appendChild(r);
      var d = +r.dataset.distance;
      r.querySelector('td.distance').textContent = isFinite(d) ? shown(d) : '';
    });
    table.querySelectorAll('.distance').forEach(function (c) { c.hidden = false; });
    table.classList.add('by-distance');
    var first = rows[0];
    if (!first || !isFinite(+first.dataset.distance)) { status.textContent = table.dataset.unavailable; return; }
    var name = first.querySelector('a');
    status.textContent = table.dataset.nearest + ' ';
    var link = document.createElement('a');
    link.href = name.getAttribute('href');
    link.textContent = name.textContent + ' (' + shown(+first.dataset.distance) + ')';
    var file = document.createElement('a');
    file.href = '/t/' + table.dataset.slug + '/report?o=' + first.dataset.id;
    file.className = 'button';
    file.textContent = table.dataset.fileHere;
    status.appendChild(link);
    status.appendChild(document.createTextNode(' — '));
    status.appendChild(file);
  }
  button.addEventListener('click', function () {
    status.hidden = false;
    status.textContent = table.dataset.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      var lat = pos.coords.latitude, lon = pos.coords.longitude;
      if (+table.dataset.pages > 1 && window.fetch) {
        nearestRows(lat, lon, show, function () { show(pageRows(lat, lon)); });
      } else {
        show(pageRows(lat, lon));
      }
    }, function () {
      status.textContent = table.dataset.unavailable;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();

// The request form of an object's sheet: the fields of the chosen kind only.
(function () {
  var kind = document.querySelector('#deposer select[name=kind]');
  if (!kind) return;
  function show() {
    document.querySelectorAll('#deposer .kind-fields').forEach(function (f) { f.hidden = f.dataset.kind !== kind.value; });
  }
  kind.addEventListener('change', show);
  show();
})();
// Before the form is sent, similar open requests are looked up and shown in place, so that
// nothing typed or chosen (the photo above all) is lost; « Déposer quand même » then sends
// it. Without this script the server shows them after the first sending.
(function () {
  var form = document.querySelector('#deposer form.stack');
  var slot = document.getElementById('similar-slot');
  if (!form || !slot || !window.fetch || !window.URLSearchParams) return;
  form.addEventListener('submit', function (event) {
    if (form.dataset.checked === '1') return;
    event.preventDefault();
    var button = event.submitter || form.querySelector('button[type=submit]');
    var query = new URLSearchParams({ title: form.elements.title.value, description: form.elements.description.value });
    fetch(form.dataset.similar + '?' + query, { credentials: 'same-origin' })
      .then(function (r) { return r.status === 200 ? r.text() : ''; })
      .catch(function () { return ''; })
      .then(function (html) {
        form.dataset.checked = '1';
        if (!html) {
          if (form.requestSubmit) form.requestSubmit(button); else form.submit();
          return;
        }
        slot.innerHTML = html;
        button.name = 'confirm';
        button.value = '1';
        button.textContent = form.dataset.fileAnyway;
        var heading = slot.querySelector('h3');
        if (heading) heading.focus();
      });
  });
})();

// A request's page: the personal link selected when focused, the print button.
(function () {
  document.querySelectorAll('[data-select-on-focus]').forEach(function (input) {
    input.addEventListener('focus', function () { input.select(); });
  });
  document.querySelectorAll('button[data-print]').forEach(function (button) {
    button.addEventListener('click', function () { window.print(); });
  });
})();

// Installable and offline-tolerant: the service worker keeps the pages seen (see /sw.js).
(function () {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register('/sw.js').catch(function () {});
})();

// The phone's queue of submissions (forms marked data-offline: the quick report, a sheet's
// request form and its contribution form). Each form gets an idempotency key when the page
// opens; sent without network, the form is kept in IndexedDB (the service worker keeps it too
// when the network fails under a sending) and sent again, with the same key, when the network
// returns — the server files a key once, so a report is never lost and never filed twice.
(function () {
  if (!window.indexedDB || !window.fetch || !window.FormData || !window.crypto) return;
  var banner = document.getElementById('outbox');
  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
  }
  function db(mode, use) {
    return new Promise(function (resolve, reject) {
      var open = indexedDB.open('vigie', 1);
      open.onupgradeneeded = function () { open.result.createObjectStore('outbox', { keyPath: 'key' }); };
      open.onerror = function () { reject(open.error); };
      open.onsuccess = function () {
        var conn = open.result;
        var tx = conn.transaction('outbox', mode);
        var req = use(tx.objectStore('outbox'));
        tx.oncomplete = function () { conn.close(); resolve(req ? req.result : undefined); };
        tx.onerror = tx.onabort = function () { conn.close(); reject(tx.error); };
      };
    });
  }
  window.vigieOutbox = { db: db, flush: function () { return flush(); } };

  document.querySelectorAll('form[data-offline]').forEach(function (form) {
    var key = form.elements.submission_key;
    if (key && !key.value) key.value = newKey();
  });
  // Before any other handler (capture, on the document): without network, keep the form.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form.matches || !form.matches('form[data-offline]') || navigator.onLine !== false) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    keep(form, event.submitter);
  }, true);

  function keep(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    // Similar requests cannot be looked up without network: filed, the moderators merge.
    if (form.elements.title && !data.get('confirm')) data.set('confirm', '1');
    var fields = [];
    data.forEach(function (value, name) {
      if (typeof value === 'string') fields.push([name, value]);
      else if (value.size > 0) fields.push([name, value, value.name]);
    });
    var entry = {
      key: data.get('submission_key') || newKey(), action: form.action, fields: fields,
      multipart: form.enctype === 'multipart/form-data',
      title: data.get('title') || data.get('value') || '', savedAt: Date.now(), state: 'waiting'
    };
    return db('readwrite', function (s) { return s.put(entry); }).then(function () {
      form.reset();
      form.elements.submission_key.value = newKey();
      var thumb = form.querySelector('img.thumb');
      if (thumb) thumb.hidden = true;
      var note = form.querySelector('.offline-note');
      if (note) { note.textContent = form.dataset.saved; note.hidden = false; }
      show();
    });
  }

  function send(e) {
    var body;
    if (e.multipart) {
      body = new FormData();
      e.fields.forEach(function (f) { if (f.length > 2) body.append(f[0], f[1], f[2]); else body.append(f[0], f[1]); });
    } else {
      body = new URLSearchParams();
      e.fields.forEach(function (f) { if (typeof f[1] === 'string') body.append(f[0], f[1]); });
    }
    return fetch(e.action, { method: 'POST', body: body, credentials: 'same-origin' }).then(function (r) {
      if (r.status >= 500 || r.status === 429 || r.status === 408) throw new Error('later');
      if (r.ok && r.redirected) { e.state = 'sent'; e.url = r.url; } else { e.state = 'failed'; e.status = r.status; }
      e.fields = [];
      return db('readwrite', function (s) { return s.put(e); });
    });
  }

  var flushing = null;
  function flush() {
    if (flushing) return flushing;
    if (navigator.onLine === false) return show();
    flushing = db('readonly', function (s) { return s.getAll(); }).then(function (all) {
      var waiting = all.filter(function (e) { return e.state === 'waiting'; })
        .sort(function (a, b) { return a.savedAt - b.savedAt; });
      return waiting.reduce(function (p, e) { return p.then(function () { return send(e); }); }, Promise.resolve());
    }).catch(function () {}).then(function () { flushing = null; return show(); });
    return flushing;
  }

  // The banner: what waits on this phone, what went (said once), what the server refused.
  function show() {
    if (!banner) return Promise.resolve();
    return db('readonly', function (s) { return s.getAll(); }).then(function (all) {
      banner.textContent = '';
      var groups = [['waiting', banner.dataset.waiting], ['sent', banner.dataset.sent], ['failed', banner.dataset.failed]];
      groups.forEach(function (g) {
        var items = all.filter(function (e) { return e.state === g[0]; });
        if (!items.length) return;
        var p = document.createElement('p');
        p.className = 'outbox-' + g[0];
        p.appendChild(document.createTextNode(g[1] + ' '));
        items.forEach(function (e, i) {
          if (i) p.appendChild(document.createTextNode(', '));
          var label = '« ' + e.title + ' »';
          if (e.state === 'sent' && e.url) {
            var a = document.createElement('a');
            a.href = e.url;
            a.textContent = label;
            p.appendChild(a);
          } else {
            p.appendChild(document.createTextNode(label + (e.status ? ' (' + e.status + ')' : '')));
          }
          if (e.state === 'failed') {
            var drop = document.createElement('button');
            drop.type = 'button';
            drop.className = 'secondary';
            drop.textContent = banner.dataset.drop;
            drop.addEventListener('click', function () {
              db('readwrite', function (s) { return s.delete(e.key); }).then(show);
            });
            p.appendChild(document.createTextNode(' '));
            p.appendChild(drop);
          }
        });
        banner.appendChild(p);
      });
      banner.hidden = !banner.firstChild;
      // Said once: what went is forgotten once shown.
      var sent = all.filter(function (e) { return e.state === 'sent'; });
      if (sent.length) {
        return db('readwrite', function (s) { sent.forEach(function (e) { s.delete(e.key); }); });
      }
    }).catch(function () {});
  }

  window.addEventListener('online', flush);
  setInterval(function () { if (navigator.onLine !== false) flush(); }, 30000);
  flush();
})();

// The quick report: the photo shown, the nearest places proposed from where the phone stands
// (in the browser only: the position never leaves the device), the kinds of the chosen
// place's type, and the similar open requests looked up before sending.
(function () {
  var form = document.getElementById('quick');
  if (!form) return;
  var photo = document.getElementById('q-photo');
  var thumb = document.getElementById('q-thumb');
  var places = document.getElementById('q-places');
  var status = document.getElementById('q-places-status');
  var slot = document.getElementById('similar-slot');
  function chosen() { return form.querySelector('input[name=object]:checked'); }
  function kindsFor(type) {
    var groups = form.querySelectorAll('.kinds');
    groups.forEach(function (g) {
      var mine = !type || g.dataset.type === type || groups.length === 1;
      g.hidden = !mine;
      g.querySelectorAll('select').forEach(function (i) { i.disabled = !mine; });
    });
  }
  photo.addEventListener('change', function () {
    var f = photo.files && photo.files[0];
    if (f && window.URL) { thumb.src = URL.createObjectURL(f); thumb.hidden = false; }
  });
  places.addEventListener('change', function () { var c = chosen(); if (c) kindsFor(c.dataset.type); });
  function metres(lat1, lon1, lat2, lon2) {
    var rad = Math.PI / 180, dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    var a = Math.pow(Math.sin(dlat / 2), 2) + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.pow(Math.sin(dlon / 2), 2);
    return 6371008.8 * 2 * Math.asin(Math.min(1, Math.sqrt(a)));
  }
  function shown(m) { return m < 1000 ? Math.round(m / 10) * 10 + ' m' : (m / 1000).toFixed(1) + ' km'; }
  function propose(lat, lon, layer) {
    var c = {};
    layer.columns.forEach(function (name, i) { c[name] = i; });
    var types = {};
    form.querySelectorAll('.kinds').forEach(function (g) { types[g.dataset.type] = true; });
    var near = [];
    layer.rows.forEach(function (p) {
      if (p[c.latitude] == null || !types[p[c.type]]) return;
      near.push({ p: p, d: metres(lat, lon, p[c.latitude], p[c.longitude]) });
    });
    near.sort(function (a, b) { return a.d - b.d; });
    var already = chosen();
    near.slice(0, 3).forEach(function (n) {
      if (already && +already.value === n.p[c.id]) return;
      var label = document.createElement('label');
      label.className = 'choice';
      var input = document.createElement('input');
      input.type = 'radio';
      input.name = 'object';
      input.value = n.p[c.id];
      input.dataset.type = n.p[c.type];
      label.appendChild(input);
      label.appendChild(document.createTextNode(' ' + n.p[c.name] + ' '));
      var d = document.createElement('span');
      d.className = 'muted';
      d.textContent = shown(n.d);
      label.appendChild(d);
      places.appendChild(label);
    });
    if (!chosen()) {
      var first = places.querySelector('input');
      if (first) first.checked = true;
    }
    status.textContent = chosen() ? '' : form.dataset.unavailable;
    var c2 = chosen();
    kindsFor(c2 && c2.dataset.type);
  }
  function locate() {
    if (!navigator.geolocation) { status.textContent = form.dataset.unavailable; return; }
    status.textContent = form.dataset.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      fetch(form.dataset.places, { credentials: 'same-origin' })
        .then(function (r) { if (r.status !== 200) throw new Error(r.status); return r.json(); })
        .then(function (layer) { propose(pos.coords.latitude, pos.coords.longitude, layer); })
        .catch(function () { status.textContent = form.dataset.unavailable; });
    }, function () {
      status.textContent = chosen() ? '' : form.dataset.unavailable;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }
  var c0 = chosen();
  kindsFor(c0 && c0.dataset.type);
  locate();
  // Similar open requests before sending (online: offline, the queue takes the form first).
  var send = document.getElementById('q-send');
  form.addEventListener('submit', function (event) {
    var place = chosen();
    if (form.dataset.checked === '1' || !place || !window.URLSearchParams) return;
    event.preventDefault();
    var title = form.elements.title.value, description = form.elements.description.value || title;
    var query = new URLSearchParams({ title: title, description: description });
    fetch('/t/' + form.dataset.slug + '/o/' + place.value + '/requests/similar?' + query, { credentials: 'same-origin' })
      .then(function (r) { return r.status === 200 ? r.text() : ''; })
      .catch(function () { return ''; })
      .then(function (html) {
        form.dataset.checked = '1';
        if (!html) {
          if (form.requestSubmit) form.requestSubmit(send); else form.submit();
          return;
        }
        slot.innerHTML = html;
        send.name = 'confirm';
        send.value = '1';
        send.textContent = form.dataset.fileAnyway;
        var heading = slot.querySelector('h3');
        if (heading) heading.focus();
      });
  });
})();
