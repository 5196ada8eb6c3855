// The app's one error path. A page whose code cannot be loaded (a deploy replaced its chunk,
// or the connection dropped) and an error nothing else handled both end here, and the shell
// shows a message with a Reload button instead of a blank or silently broken page.
import { ApiError, NetworkError } from './api/client';
import { applyUpdate, updateWaiting } from './sw-client';

export const CRASH_EVENT = 'neoforge-crash';

/** `page-unavailable`: the page's code did not load; `unexpected`: anything else unhandled. */
export type CrashKind = 'page-unavailable' | 'unexpected';

/** What browsers say when `import()` of a chunk fails (Chromium, Firefox, Safari). */
const CHUNK_FAILURE = /dynamically imported module|Importing a module script failed|error loading dynamically imported/i;

export const isChunkFailure = (error: unknown) => error instanceof Error && CHUNK_FAILURE.test(error.message);

export function reportCrash(kind: CrashKind, error: unknown) {
  console.error(error);
  window.dispatchEvent(new CustomEvent<CrashKind>(CRASH_EVENT, { detail: kind }));
}

/** Errors browsers raise that are not the app's: reporting them would alarm for nothing. */
const BENIGN = /ResizeObserver loop/;

/** Failures the app reports where they happen (the API's problem details, being offline, a
 * cancelled request): one that escapes a fire-and-forget call has already been shown. */
const isReportedElsewhere = (reason: unknown) =>
  reason instanceof ApiError || reason instanceof NetworkError || (reason instanceof DOMException && reason.name === 'AbortError');

export function watchForCrashes() {
  window.addEventListener('unhandledrejection', (event) => {
    if (isReportedElsewhere(event.reason)) return;
    reportCrash(isChunkFailure(event.reason) ? 'page-unavailable' : 'unexpected', event.reason);
  });
  window.addEventListener('error', (event) => {
    if (BENIGN.test(event.message)) return;
    reportCrash('unexpected', event.error ?? event.message);
  });
}

/** Reload into the newest version: through the waiting service worker when there is one, as
 * the old one would serve the old shell again. */
export function reloadApp() {
  if (updateWaiting()) applyUpdate();
  else location.reload();
}
