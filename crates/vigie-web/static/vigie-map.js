// The collective page's map (Leaflet, /static/leaflet.<hash>.js): background tiles from the
// collective's or the instance's tile server when it answers, and markers drawn from the
// server's tiles of clustered places (/api/v1/tenants/{slug}/map/tiles/{z}?x=…&y=… for a
// view, /tiles/{z}/{x}/{y} for one tile), with the filters and the layer of the page's form.
// This script comes before Leaflet's, so that the first view's markers are asked for while
// Leaflet loads. The view (zoom, centre) is kept in the URL's #map=z/lat/lon and
// the layer and filters in its query, so that a shared URL shows the same map. Without this
// script the form, the legend and the list still work; the list is the map's accessible
// twin. Served with `defer`, no inline code (Content-Security-Policy).
'use strict';

(function () {
  var box = document.getElementById('map');
  var form = document.getElementById('map-filters');
  if (!box || !form || !window.fetch || !window.URLSearchParams) return;
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

  function fetchJson(url) {
    return fetch(url, { credentials: 'same-origin' })
      .then(function (r) { if (r.status !== 200) throw new Error(r.status); return r.json(); });
  }

  // Slippy-map tile numbers (Web Mercator) of a longitude and a latitude at 2^z tiles.
  function tileX(lon, n) { return Math.floor((lon + 180) / 360 * n); }
  function tileY(lat, n) {
    var r = Math.max(Math.min(lat, 85.0511), -85.0511) * Math.PI / 180;
    return Math.floor((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2 * n);
  }
  // The tiles of a view (its zoom and south-west / north-east corners), with a tenth of
  // margin on each side.
  function tileRange(z, south, west, north, east) {
    var h = (north - south) * 0.1, w = (east - west) * 0.1, n = Math.pow(2, z);
    return { z: z, n: n, x0: tileX(west - w, n), x1: tileX(east + w, n),
      y0: Math.max(tileY(north + h, n), 0), y1: Math.min(tileY(south - h, n), n - 1) };
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

  // The first view's markers are asked for at once, before Leaflet has run (this script
  // comes first): the view Leaflet will show is computed here as it computes it — the URL's
  // view, else the box around every place fitted with 20 px of padding — and the answer waits
  // for the map.
  var filters = query();
  var layerKey = filters.get('layer') || (info && info.default_layer) || '';
  var tileQuery = new URLSearchParams(filters);
  tileQuery.set('layer', layerKey);
  var early = info ? firstView(info) : null;

  function firstView(info) {
    var width = box.clientWidth, height = box.clientHeight;
    if (!width || !height) return null;
    var hash = viewFromHash(), z, cx, cy;
    function mercY(lat) {
      var r = Math.max(Math.min(lat, 85.0511), -85.0511) * Math.PI / 180;
      return (1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2;
    }
    if (hash) {
      z = hash.zoom;
      cx = (hash.lon + 180) / 360;
      cy = mercY(hash.lat);
    } else if (info.bounds) {
      var b = info.bounds;
      var dx = (b[2] - b[0]) / 360, dy = mercY(b[1]) - mercY(b[3]);
      var fit = Math.min((width - 40) / (256 * dx), (height - 40) / (256 * dy));
      z = Math.min(Math.floor(Math.log(fit) / Math.LN2), 16);
      if (!isFinite(z)) z = 16;
      cx = ((b[0] + b[2]) / 2 + 180) / 360;
      cy = (mercY(b[1]) + mercY(b[3])) / 2;
    } else {
      return null;
    }
    z = Math.max(0, Math.min(z, 19));
    var scale = 256 * Math.pow(2, z);
    function lon(x) { return x * 360 - 180; }
    function lat(y) { return Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180 / Math.PI; }
    var range = tileRange(z, lat(cy + height / 2 / scale), lon(cx - width / 2 / scale),
      lat(cy - height / 2 / scale), lon(cx + width / 2 / scale));
    if (range.x0 < 0 || range.x1 >= range.n || (range.x1 - range.x0 + 1) * (range.y1 - range.y0 + 1) > 64) {
      return null;
    }
    var q = new URLSearchParams(tileQuery);
    q.set('x', range.x0 + '-' + range.x1);
    q.set('y', range.y0 + '-' + range.y1);
    range.answer = fetchJson(api + '/tiles/' + z + '?' + q.toString());
    range.answer.catch(function () {});
    return range;
  }

  function go() {
    if (!window.L) { box.hidden = true; return; }
    if (info) {
      start(info);
    } else {
      fetchJson(api).then(start).catch(unavailable);
    }
  }
  if (window.L) go(); else document.addEventListener('DOMContentLoaded', go);

  function start(info) {
    var map = L.map(box, { zoomControl: true, worldCopyJump: true, maxZoom: 19 });
    map.zoomControl.getContainer().querySelectorAll('a').forEach(function (a) {
      var label = a.classList.contains('leaflet-control-zoom-in') ? box.dataset.zoomIn : box.dataset.zoomOut;
      a.title = label;
      a.setAttribute('aria-label', label);
    });
    // The background comes once the first markers are drawn (or after a second): the places
    // are what the page is for, and the background's images cost the phone some work.
    var backgroundAdded = false;
    function background() {
      if (backgroundAdded || !info.tiles || !info.tiles.url) return;
      backgroundAdded = true;
      // The attribution is plain text (a collective's Guru may set it): Leaflet writes HTML.
      var attribution = document.createElement('span');
      attribution.textContent = info.tiles.attribution || '';
      L.tileLayer(info.tiles.url, { attribution: attribution.innerHTML, maxZoom: 19 }).addTo(map);
    }
    setTimeout(background, 1000);
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

    layerKey = layerKey || info.default_layer || '';
    var legend = null;
    info.types.forEach(function (t) {
      t.layers.forEach(function (l) { if (l.key === layerKey) legend = l.legend; });
    });
    var typeColor = {};
    info.types.forEach(function (t) { typeColor[t.key] = t.color; });
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
      if (!backgroundAdded) requestAnimationFrame(function () { setTimeout(background, 0); });
    }

    function tilesInView() {
      var z = Math.min(Math.max(Math.round(map.getZoom()), 0), 20);
      var b = map.getBounds();
      var r = tileRange(z, b.getSouth(), b.getWest(), b.getNorth(), b.getEast());
      var out = [];
      for (var x = r.x0; x <= r.x1; x++) {
        for (var y = r.y0; y <= r.y1; y++) out.push(z + '/' + ((x % r.n) + r.n) % r.n + '/' + y);
      }
      return out;
    }

    // The tiles of the view not drawn yet: those of the first view from its early answer,
    // the others asked for in one request (a view of at most 64 tiles; one per tile where
    // the view crosses the antimeridian).
    function refresh() {
      var wanted = {};
      var missing = [];
      var fromEarly = [];
      tilesInView().forEach(function (key) {
        wanted[key] = true;
        if (drawn[key] || pending[key]) return;
        pending[key] = true;
        var p = key.split('/');
        if (early && early.z === +p[0] && +p[1] >= early.x0 && +p[1] <= early.x1 &&
            +p[2] >= early.y0 && +p[2] <= early.y1) {
          fromEarly.push(key);
        } else {
          missing.push(key);
        }
      });
      function done(key, list) {
        delete pending[key];
        if (currentTiles()[key]) draw(key, list);
      }
      function failed(keys) { keys.forEach(function (key) { delete pending[key]; }); }
      function answered(keys) {
        return function (body) {
          var asked = {};
          keys.forEach(function (key) { asked[key] = true; });
          body.tiles.forEach(function (t) {
            var key = body.z + '/' + t.x + '/' + t.y;
            if (asked[key]) { done(key, t.markers); delete asked[key]; }
          });
          failed(Object.keys(asked));
        };
      }
      if (fromEarly.length) {
        early.answer.then(answered(fromEarly)).catch(function () { failed(fromEarly); });
      }
      if (missing.length) {
        var z = null, x0 = Infinity, x1 = -1, y0 = Infinity, y1 = -1;
        missing.forEach(function (key) {
          var p = key.split('/');
          z = +p[0];
          x0 = Math.min(x0, +p[1]); x1 = Math.max(x1, +p[1]);
          y0 = Math.min(y0, +p[2]); y1 = Math.max(y1, +p[2]);
        });
        var area = (x1 - x0 + 1) * (y1 - y0 + 1);
        if (area <= 64 && area <= missing.length * 2) {
          var q = new URLSearchParams(tileQuery);
          q.set('x', x0 + '-' + x1);
          q.set('y', y0 + '-' + y1);
          fetchJson(api + '/tiles/' + z + '?' + q.toString())
            .then(answered(missing))
            .catch(function () { failed(missing); });
        } else {
          missing.forEach(function (key) {
            fetchJson(api + '/tiles/' + key + suffix)
              .then(function (body) { done(key, body.markers); })
              .catch(function () { failed([key]); });
          });
        }
      }
      Object.keys(drawn).forEach(function (key) {
        if (!wanted[key]) { markers.removeLayer(drawn[key]); delete drawn[key]; }
      });
      early = null; // the first view only: later views ask for their own tiles
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
