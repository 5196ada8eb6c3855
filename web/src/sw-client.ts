// Registers the service worker and tells the page when a new version is waiting.
export const UPDATE_EVENT = 'neoforge-update';
let waiting: ServiceWorker | null = null;

export async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  const registration = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  const offer = (worker: ServiceWorker | null) => {
    // Only an update: the first install just takes control.
    if (worker && navigator.serviceWorker.controller) {
      waiting = worker;
      window.dispatchEvent(new Event(UPDATE_EVENT));
    }
  };
  offer(registration.waiting);
  registration.addEventListener('updatefound', () => {
    const installing = registration.installing;
    installing?.addEventListener('statechange', () => {
      if (installing.state === 'installed') offer(installing);
    });
  });
  // Look for a new version when the app comes back to the foreground.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void registration.update().catch(() => {});
  });
}

export const updateWaiting = () => waiting !== null;

/** Switch to the waiting version and reload into it. */
export function applyUpdate() {
  if (!waiting) return;
  navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true });
  waiting.postMessage({ type: 'SKIP_WAITING' });
}
