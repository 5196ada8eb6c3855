// Live updates: the user's todo changes from every tab and device, read from `GET /api/events`
// with fetch rather than EventSource, which cannot send the bearer token or resume a stream
// opened with a single-use ticket. One stream per tab, open while something subscribes, the
// user is signed in and the browser is online. A dropped stream is reopened quietly with
// exponential backoff and jitter, resuming after the last event id; when it cannot resume, the
// subscribers are told to refetch (`resync`).
import type { Todo } from '../api/types';
import { currentSession, onSessionChange } from '../auth/session';
import { getAccessToken, refreshAccessToken } from '../auth/token';
import { SseParser, type ServerSentEvent } from './sse';

export type LiveEvent =
  | { type: 'todo.created' | 'todo.updated'; todo: Todo }
  | { type: 'todo.deleted'; id: string }
  /** Something may have been missed: refetch everything. */
  | { type: 'resync' };

type Listener = (event: LiveEvent) => void;

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;
/** A stream that stayed open this long was healthy: the next drop retries from the start. */
const HEALTHY_MS = 20_000;
/** The server comments every 15 s; this much silence means the connection died unnoticed. */
const SILENCE_MS = 45_000;

const listeners = new Set<Listener>();
/** The last event id received, sent as `Last-Event-ID` to resume; kept across page visits. */
let lastEventId: string | null = null;
/** Aborting it ends the current stream and the retries after it. */
let running: AbortController | null = null;

/** Receive live events; the stream runs while anyone subscribes. Returns the unsubscribe. */
export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  update();
  return () => {
    listeners.delete(listener);
    update();
  };
}

function wanted(): boolean {
  const session = currentSession();
  return listeners.size > 0 && session.status === 'signed-in' && !session.offline && navigator.onLine;
}

/** Start or stop the stream to match the conditions. */
function update() {
  if (wanted()) {
    if (!running) {
      const run = (running = new AbortController());
      void loop(run.signal).finally(() => {
        if (running === run) running = null;
      });
    }
  } else {
    running?.abort();
    running = null;
  }
}

onSessionChange((session) => {
  if (session.status === 'signed-out') lastEventId = null;
  update();
});
window.addEventListener('online', update);
window.addEventListener('offline', update);

function emit(event: LiveEvent) {
  for (const listener of [...listeners]) {
    try {
      listener(event);
    } catch (error) {
      reportError(error);
    }
  }
}

type Outcome = { healthy: boolean; unauthorized?: boolean; retryAfterMs?: number };

async function loop(signal: AbortSignal) {
  let attempt = 0;
  let justRefreshed = false;
  while (!signal.aborted) {
    const outcome = await connect(signal);
    if (signal.aborted) return;
    if (outcome.unauthorized && !justRefreshed) {
      // The access token expired: retry at once with a new one. When there is no session any
      // more, the refresh signs the user out and that stops this loop.
      justRefreshed = true;
      if (await refreshAccessToken()) continue;
    } else {
      justRefreshed = false;
    }
    if (outcome.healthy) attempt = 0;
    const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt++);
    const delay = Math.max(base / 2 + (Math.random() * base) / 2, outcome.retryAfterMs ?? 0);
    await sleep(delay, signal);
    // A hidden tab whose stream dropped waits to be seen again rather than retry in the dark.
    await visible(signal);
  }
}

/** One stream, from opening to its end. */
async function connect(signal: AbortSignal): Promise<Outcome> {
  const token = getAccessToken();
  if (!token) return { healthy: false, unauthorized: true };
  const connection = new AbortController();
  const stop = () => connection.abort();
  signal.addEventListener('abort', stop);
  const headers: Record<string, string> = { Accept: 'text/event-stream', Authorization: `Bearer ${token}` };
  const resuming = lastEventId !== null;
  if (lastEventId !== null) headers['Last-Event-ID'] = lastEventId;
  let opened = 0;
  let silence: number | undefined;
  const watch = () => {
    window.clearTimeout(silence);
    silence = window.setTimeout(stop, SILENCE_MS);
  };
  try {
    // Low priority: a stream that never ends must not hold up, or count as, the page's load.
    const response = await fetch('/api/events', { headers, cache: 'no-store', priority: 'low', signal: connection.signal });
    const type = response.headers.get('Content-Type') ?? '';
    if (!response.ok || !response.body || !type.startsWith('text/event-stream')) {
      void response.body?.cancel().catch(() => {});
      const retryAfter = Number(response.headers.get('Retry-After'));
      return { healthy: false, unauthorized: response.status === 401, retryAfterMs: retryAfter > 0 ? retryAfter * 1000 : 0 };
    }
    opened = Date.now();
    // Without a point to resume from, changes made before the stream opened are unknown here.
    if (!resuming) emit({ type: 'resync' });
    watch();
    const parser = new SseParser(deliver);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      watch();
      parser.push(value);
      if (parser.lastEventId) lastEventId = parser.lastEventId;
    }
  } catch {
    // Offline, reset, aborted or silent for too long: the loop decides what comes next.
  } finally {
    window.clearTimeout(silence);
    signal.removeEventListener('abort', stop);
    connection.abort();
  }
  return { healthy: opened > 0 && Date.now() - opened >= HEALTHY_MS };
}

function deliver({ event, data }: ServerSentEvent) {
  let payload: unknown;
  try {
    payload = JSON.parse(data);
  } catch {
    return;
  }
  if (event === 'todo.created' || event === 'todo.updated') emit({ type: event, todo: payload as Todo });
  else if (event === 'todo.deleted') emit({ type: event, id: (payload as { id: string }).id });
  else if (event === 'resync') emit({ type: 'resync' });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      window.clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = window.setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

function visible(signal: AbortSignal): Promise<void> {
  if (document.visibilityState === 'visible' || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (document.visibilityState !== 'visible' && !signal.aborted) return;
      document.removeEventListener('visibilitychange', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    document.addEventListener('visibilitychange', done);
    signal.addEventListener('abort', done);
  });
}
