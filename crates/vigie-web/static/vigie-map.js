// The collective page's map (Leaflet, /static/leaflet.<hash>.js): background tiles from the
// instance's tile server when it answers, and markers drawn from the server's tiles of
// clustered places (/api/v1/tenants/{slug}/map/tiles/{z}/{x}/{y}), with the filters and the
// layer of the page's form. The view (zoom, centre) is kept in the URL's #map=z/lat/lon and
// the layer and filters in its query, so that a shared URL shows the same map. Without this
// script the form, the legend and the list still work; the list is the map's accessible
// twin. Served with `defer`, no inline code (Content-Security-Policy).
'use strict';

(function () {
  var box = document.getElementById('map');
  var form = document.getElementById('map-filters');
  if (!box || !form || !window.L || !window.fetch || !window.URLSearchParams) return;
  box.hidden = false;
  var lang = box.dataset.lang || 'fr';
  var api = box.dataset.api;
  var number = new Intl.NumberFormat(lang);

  // The filters and layer of the page (its query), as the API reads them.
  function query() {
    var q = new URLSearchParams(window.location.search);
    q.delete('page');
    q.delete('lang');
    var out = new URLSearchParams();
    q.forEach(function (v, k) { if (v.trim() !== '') out.append(k, v); });
    return out;
  }

  function viewFromHash() {
    var m = /^#map=(\d{1,2})\/(-?\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)$/.exec(window.location.hash);
    if (!m) return null;
    return { zoom: +m[1], lat: +m[2], lon: +m[3] };
  }

  function unavailable() {
    var p = document.createElement('p');
    p.className = 'muted';
    p.textContent = box.dataset.unavailable;
    box.replaceWith(p);
  }
  // The page carries the map's description; the API gives it too (GET …/map).
  var embedded = document.getElementById('map-info');
  var info = null;
  try { info = embedded ? JSON.parse(embedded.textContent) : null; } catch (e) { info = null; }
  if (info) {
    start(info);
  } else {
    fetch(api, { credentials: 'same-origin' })
      .then(function (r) { if (r.status !== 200) throw new Error(r.status); return r.json(); })
      .then(start)
      .catch(unavailable);
  }

  function start(info) {
    var map = L.map(box, { zoomControl: true, worldCopyJump: true, maxZoom: 19 });
    map.zoomControl.getContainer().querySelectorAll('a').forEach(function (a) {
      var label = a.classList.contains('leaflet-control-zoom-in') ? box.dataset.zoomIn : box.dataset.zoomOut;
      a.title = label;
      a.setAttribute('aria-label', label);
    });
    if (info.tiles && info.tiles.url) {
      // The attribution is plain text (a collective's Guru may set it): Leaflet writes HTML.
      var attribution = document.createElement('span');
      attribution.textContent = info.tiles.attribution || '';
      L.tileLayer(info.tiles.url, { attribution: attribution.innerHTML, maxZoom: 19 }).addTo(map);
    }
    map.attributionControl.setPrefix(false);
    var hash = viewFromHash();
    if (hash) {
      map.setView([hash.lat, hash.lon], hash.zoom);
    } else if (info.bounds) {
      var b = info.bounds;
      map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { padding: [20, 20], maxZoom: 16 });
    } else {
      map.setView([info.view.latitude, info.view.longitude], info.view.zoom);
    }

    var filters = query();
    var layerKey = filters.get('layer') || info.default_layer || '';
    var legend = null;
    info.types.forEach(function (t) {
      t.layers.forEach(function (l) { if (l.key === layerKey) legend = l.legend; });
    });
    var typeColor = {};
    info.types.forEach(function (t) { typeColor[t.key] = t.color; });
    var tileQuery = new URLSearchParams(filters);
    tileQuery.set('layer', layerKey);
    var suffix = '?' + tileQuery.toString();

    var drawn = {};   // tile key → layer group
    var pending = {}; // tile key → true while fetching
    var markers = L.layerGroup().addTo(map);

    function color(classes, type) {
      if (!legend || !classes) return typeColor[type] || '#0b6e4f';
      var best = 0;
      for (var i = 1; i < classes.length; i++) if (classes[i] > classes[best]) best = i;
      return legend[best] ? legend[best].color : '#0b6e4f';
    }

    // A cluster's disc: its places' classes as a ring of colours.
    function clusterIcon(m) {
      var size = m.count < 10 ? 30 : m.count < 100 ? 36 : m.count < 1000 ? 44 : 52;
      return L.divIcon({ className: 'cluster', iconSize: [size, size], html: '' });
    }

    function paint(el, m) {
      var stops = [], at = 0, total = 0;
      (m.classes || []).forEach(function (n) { total += n; });
      if (legend && total > 0) {
        m.classes.forEach(function (n, i) {
          if (!n) return;
          var next = at + n / total * 100;
          stops.push(legend[i].color + ' ' + at.toFixed(2) + '% ' + next.toFixed(2) + '%');
          at = next;
        });
        el.style.background = 'conic-gradient(' + stops.join(', ') + ')';
      } else {
        el.style.background = '#0b6e4f';
      }
      var inner = document.createElement('span');
      inner.textContent = number.format(m.count);
      el.appendChild(inner);
      el.title = number.format(m.count) + ' ' + box.dataset.placesWord;
    }

    function draw(key, list) {
      var group = L.layerGroup();
      list.forEach(function (m) {
        if (m.count === 1 && m.id) {
          var c = L.circleMarker([m.lat, m.lon], {
            radius: 8, weight: 2, color: '#fff', fillColor: color(m.classes, m.object_type), fillOpacity: 0.95,
          });
          c.bindTooltip(m.name);
          c.on('click', function () { window.location.href = '/t/' + box.dataset.slug + '/o/' + m.id; });
          group.addLayer(c);
        } else {
          var mk = L.marker([m.lat, m.lon], { icon: clusterIcon(m), keyboard: false });
          mk.on('add', function () { var el = mk.getElement(); if (el && !el.firstChild) paint(el, m); });
          mk.on('click', function () { map.setView([m.lat, m.lon], Math.min(map.getZoom() + 2, 19)); });
          group.addLayer(mk);
        }
      });
      drawn[key] = group;
      markers.addLayer(group);
    }

    function tilesInView() {
      var z = Math.min(Math.max(Math.round(map.getZoom()), 0), 20);
      var b = map.getBounds().pad(0.1);
      var n = Math.pow(2, z);
      function tx(lon) { return Math.floor((lon + 180) / 360 * n); }
      function ty(lat) {
        var r = Math.max(Math.min(lat, 85.0511), -85.0511) * Math.PI / 180;
        return Math.floor((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2 * n);
      }
      var x0 = tx(b.getWest()), x1 = tx(b.getEast()), y0 = ty(b.getNorth()), y1 = ty(b.getSouth());
      var out = [];
      for (var x = x0; x <= x1; x++) {
        for (var y = Math.max(y0, 0); y <= Math.min(y1, n - 1); y++) {
          out.push(z + '/' + ((x % n) + n) % n + '/' + y);
        }
      }
      return out;
    }

    function fetchJson(url) {
      return fetch(url, { credentials: 'same-origin' })
        .then(function (r) { if (r.status !== 200) throw new Error(r.status); return r.json(); });
    }

    // The tiles of the view not drawn yet, asked for in one request (a view of at most 64
    // tiles; one per tile where the view crosses the antimeridian).
    function refresh() {
      var wanted = {};
      var missing = [];
      tilesInView().forEach(function (key) {
        wanted[key] = true;
        if (!drawn[key] && !pending[key]) missing.push(key);
      });
      var z = null, x0 = Infinity, x1 = -1, y0 = Infinity, y1 = -1;
      missing.forEach(function (key) {
        var p = key.split('/');
        z = +p[0];
        x0 = Math.min(x0, +p[1]); x1 = Math.max(x1, +p[1]);
        y0 = Math.min(y0, +p[2]); y1 = Math.max(y1, +p[2]);
        pending[key] = true;
      });
      function done(key, list) {
        delete pending[key];
        if (currentTiles()[key]) draw(key, list);
      }
      function failed(keys) { keys.forEach(function (key) { delete pending[key]; }); }
      if (missing.length && (x1 - x0 + 1) * (y1 - y0 + 1) <= 64 && (x1 - x0 + 1) * (y1 - y0 + 1) <= missing.length * 2) {
        var q = new URLSearchParams(tileQuery);
        q.set('x', x0 + '-' + x1);
        q.set('y', y0 + '-' + y1);
        fetchJson(api + '/tiles/' + z + '?' + q.toString())
          .then(function (body) {
            var asked = {};
            missing.forEach(function (key) { asked[key] = true; });
            body.tiles.forEach(function (t) {
              var key = body.z + '/' + t.x + '/' + t.y;
              if (asked[key]) done(key, t.markers);
            });
          })
          .catch(function () { failed(missing); });
      } else {
        missing.forEach(function (key) {
          fetchJson(api + '/tiles/' + key + suffix)
            .then(function (body) { done(key, body.markers); })
            .catch(function () { failed([key]); });
        });
      }
      Object.keys(drawn).forEach(function (key) {
        if (!wanted[key]) { markers.removeLayer(drawn[key]); delete drawn[key]; }
      });
      var c = map.getCenter();
      var h = '#map=' + map.getZoom() + '/' + c.lat.toFixed(5) + '/' + c.lng.toFixed(5);
      if (window.location.hash !== h) history.replaceState(null, '', h);
      box.dataset.zoom = map.getZoom();
    }

    function currentTiles() {
      var s = {};
      tilesInView().forEach(function (k) { s[k] = true; });
      return s;
    }

    map.on('moveend', refresh);
    refresh();

    // Changing the layer shows it at once (the page reloads with the same view).
    var select = document.getElementById('map-layer');
    if (select) {
      select.addEventListener('change', function () {
        var q = new URLSearchParams(window.location.search);
        q.set('layer', select.value);
        q.delete('page');
        window.location.href = window.location.pathname + '?' + q.toString() + window.location.hash;
      });
    }
    // The filters are sent with the view, so that the map reopens where it was.
    form.addEventListener('submit', function () {
      form.action = form.getAttribute('action').split('#')[0] + window.location.hash;
    });
  }
})();

// The search box: the places whose name, identifier or address match, as you type.
(function () {
  var input = document.getElementById('place-search');
  var out = document.getElementById('search-results');
  var box = document.getElementById('map');
  if (!input || !out || !box || !window.fetch) return;
  var timer = null, asked = '';
  input.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
  function search() {
    var text = input.value.trim();
    if (text === asked) return;
    asked = text;
    if (text.length < 2) { out.hidden = true; out.textContent = ''; return; }
    fetch(box.dataset.api + '/places?limit=8&q=' + encodeURIComponent(text), { credentials: 'same-origin' })
      .then(function (r) { return r.status === 200 ? r.json() : null; })
      .then(function (body) {
        if (!body || asked !== text) return;
        out.textContent = '';
        body.places.forEach(function (p) {
          var li = document.createElement('li');
          var a = document.createElement('a');
          a.href = '/t/' + box.dataset.slug + '/o/' + p.id;
          a.textContent = p.name;
          var more = document.createElement('span');
          more.className = 'muted';
          more.textContent = ' ' + p.identifier + (p.address ? ' — ' + p.address : '');
          li.appendChild(a);
          li.appendChild(more);
          out.appendChild(li);
        });
        if (!body.places.length) {
          var li = document.createElement('li');
          li.className = 'muted';
          li.textContent = box.dataset.none;
          out.appendChild(li);
        }
        out.hidden = false;
      })
      .catch(function () {});
  }
})();
