// Vigie's service worker, served as /sw.js (scope: the whole site) with the list of the
// current static files filled in by the server. It makes the pages already seen open without
// network, and keeps on the phone a form sent when the network fails under it: the page's
// script (vigie.js, « file d'attente hors ligne ») sends it again, once, with its idempotency
// key, when the network returns. Nothing here decides anything: the server does.
'use strict';

const VERSION = '__VERSION__';
const STATIC = 'vigie-static-' + VERSION;
const PAGES = 'vigie-pages';
const PRECACHE = __PRECACHE__;
// Pages never kept: personal or one-time (accounts, sign-in, links carrying a secret).
const PRIVATE = /^\/(account|login|register|reset|verify|logout|admin|api\/v1\/session)|[?&]token=/;

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(STATIC).then(function (c) { return c.addAll(PRECACHE); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf('vigie-static-') === 0 && n !== STATIC; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

// The phone's queue, shared with the pages (same database, same shape).
function outbox(mode, use) {
  return new Promise(function (resolve, reject) {
    const open = indexedDB.open('vigie', 1);
    open.onupgradeneeded = function () { open.result.createObjectStore('outbox', { keyPath: 'key' }); };
    open.onerror = function () { reject(open.error); };
    open.onsuccess = function () {
      const tx = open.result.transaction('outbox', mode);
      const result = use(tx.objectStore('outbox'));
      tx.oncomplete = function () { resolve(result); };
      tx.onerror = function () { reject(tx.error); };
    };
  });
}

function savedPage(title, text) {
  const html = '<!doctype html><html lang="fr"><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Vigie</title>' +
    '<main><h1>' + title + '</h1><p role="status">' + text + '</p><p><a href="/">Vigie</a></p></main></html>';
  return new Response(html, { status: 202, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}

// A form sent while the network fails: kept, if it carries an idempotency key.
function keep(request) {
  return request.formData().then(function (data) {
    const key = data.get('submission_key');
    if (!key) throw new Error('no key');
    const fields = [];
    data.forEach(function (value, name) {
      if (typeof value === 'string') fields.push([name, value]);
      else if (value.size > 0) fields.push([name, value, value.name]);
    });
    const title = data.get('title') || data.get('field') || '';
    return outbox('readwrite', function (store) {
      store.put({ key: key, action: request.url, fields: fields, title: title, savedAt: Date.now(), state: 'waiting' });
    }).then(function () {
      return savedPage('Vigie', 'Pas de réseau : c\u2019est enregistré sur ce téléphone et partira tout seul au retour ' +
        'du réseau. — No network: it is kept on this phone and will go when the network returns.');
    });
  });
}

self.addEventListener('fetch', function (event) {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === 'POST') {
    if (url.pathname === '/logout') {
      // Signed out: the pages seen while signed in go with the session.
      event.respondWith(fetch(request).then(function (r) { return caches.delete(PAGES).then(function () { return r; }); }));
      return;
    }
    if (request.mode !== 'navigate') return;
    const copy = request.clone();
    event.respondWith(fetch(request).catch(function (e) {
      return keep(copy).catch(function () { throw e; });
    }));
    return;
  }
  if (request.method !== 'GET') return;
  if (url.pathname.indexOf('/static/') === 0) {
    event.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request); }));
    return;
  }
  const page = request.mode === 'navigate';
  const layer = /^\/api\/v1\/tenants\/[^/]+\/places$/.test(url.pathname);
  if (!page && !layer) return;
  const kept = !PRIVATE.test(url.pathname + url.search);
  // Network first; what was seen is kept for when there is none.
  event.respondWith(fetch(request).then(function (response) {
    if (kept && response.ok && response.type === 'basic') {
      const copy = response.clone();
      caches.open(PAGES).then(function (c) { return c.put(request, copy); });
    }
    return response;
  }).catch(function (e) {
    return caches.open(PAGES).then(function (c) { return c.match(request, { ignoreVary: true }); }).then(function (hit) {
      if (hit) return hit;
      if (page) return caches.match('/offline').then(function (off) { return off || Promise.reject(e); });
      throw e;
    });
  }));
});
