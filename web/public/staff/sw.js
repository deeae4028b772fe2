// The staff app's service worker (issue 22 §3): /staff/ installable on a
// companion's phone and its shell there without signal. It keeps only the
// app's own files (the page and its scripts and styles), never anything of
// the API: no case, no session, no place. Pages load from the network when
// there is one and fall back to the kept shell when there is not.
const CACHE = 'pelukan-staff-shell-v1';

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(['/staff/', '/staff/manifest.webmanifest'])));
  self.skipWaiting();
});

self.addEventListener('activate', (e) => {
  e.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('pelukan-staff-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function keep(request, response) {
  if (response.ok) {
    const copy = response.clone();
    caches.open(CACHE).then((c) => c.put(request, copy));
  }
  return response;
}

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/v1/')) return;
  if (e.request.mode === 'navigate') {
    e.respondWith(fetch(e.request).then((r) => keep(new Request('/staff/'), r)).catch(() => caches.match('/staff/')));
  } else if (url.pathname.startsWith('/assets/') || url.pathname.startsWith('/map/') || /\.(svg|png|webmanifest)$/.test(url.pathname)) {
    e.respondWith(caches.match(e.request).then((hit) => hit || fetch(e.request).then((r) => keep(e.request, r))));
  }
});

// Web Push (issue 22 §3): a new visit or an urgent report, in words that
// name nothing of a case; a tap opens the staff app.
self.addEventListener('push', (e) => {
  let d = {};
  try {
    d = e.data ? e.data.json() : {};
  } catch {
    d = {};
  }
  e.waitUntil(self.registration.showNotification(d.title || 'PELUKAN', { body: d.body || '', tag: 'pelukan', renotify: true }));
});

self.addEventListener('notificationclick', (e) => {
  e.notification.close();
  e.waitUntil(
    self.clients.matchAll({ type: 'window' }).then((ws) => {
      const w = ws.find((x) => new URL(x.url).pathname.startsWith('/staff/'));
      return w ? w.focus() : self.clients.openWindow('/staff/');
    }),
  );
});
