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
    file.href = name.getAttribute('href') + '#deposer';
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
