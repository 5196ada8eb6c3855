// The service worker, small and explicit about its strategies:
// - the app shell and hashed assets are precached at install and served cache-first;
// - page navigations get the cached shell (or landing page), so the app opens offline;
// - API reads of todos and the current user are network-first with the last answer as fallback;
// - writes are never touched here: the page queues them in IndexedDB while offline;
// - the live event stream (/api/events) goes straight to the network, never cached or buffered.
// A new version waits until the page asks it to take over (the "reload to update" offer).
export {};
declare const self: ServiceWorkerGlobalScope;
declare const __PRECACHE__: string[];
declare const __VERSION__: string;

const SHELL_CACHE = `neoforge-shell-${__VERSION__}`;
const API_CACHE = 'neoforge-api';
const RESERVED = ['/api', '/health', '/ready', '/metrics', '/docs', '/openapi.json'];
const CACHED_READS = [/^\/api\/todos(\/stats)?$/, /^\/api\/users\/me$/];

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      await cache.addAll(__PRECACHE__.map((url) => new Request(url, { cache: 'no-cache' })));
      // The first version takes over at once; later ones wait for the page's go-ahead.
      if (!self.registration.active) await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('neoforge-shell-') && name !== SHELL_CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') void self.skipWaiting();
});

const isReserved = (path: string) => RESERVED.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname === '/api/events') return;
  if (request.mode === 'navigate' && !isReserved(url.pathname)) {
    event.respondWith(fromCacheFirst(url.pathname === '/' ? '/' : '/app', request));
  } else if (url.pathname.startsWith('/assets/') || __PRECACHE__.includes(url.pathname)) {
    event.respondWith(fromCacheFirst(url.pathname, request));
  } else if (CACHED_READS.some((pattern) => pattern.test(url.pathname))) {
    event.respondWith(networkFirst(request));
  }
});

async function fromCacheFirst(key: string, request: Request): Promise<Response> {
  const cached = await caches.match(key, { cacheName: SHELL_CACHE });
  return cached ?? fetch(request);
}

async function networkFirst(request: Request): Promise<Response> {
  const cache = await caches.open(API_CACHE);
  try {
    const response = await fetch(request);
    if (response.status === 200) await cache.put(request, response.clone());
    else if (response.status === 401 || response.status === 403) await caches.delete(API_CACHE);
    return response;
  } catch {
    const cached = await cache.match(request, { ignoreVary: true });
    if (cached) return cached;
    return new Response(
      JSON.stringify({
        type: 'about:blank',
        title: 'Service Unavailable',
        status: 503,
        detail: 'You are offline and this has not been loaded before.',
      }),
      { status: 503, headers: { 'Content-Type': 'application/problem+json' } },
    );
  }
}
