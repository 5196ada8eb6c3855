// Todo changes made while offline wait here, in order, and are replayed exactly once when the
// network returns: a creation is sent with the same Idempotency-Key every time (the server
// answers a repeat with the first result), an update is idempotent, and a deletion answered
// 404 was already done. Tabs take turns through a Web Lock so no change is sent twice at once.
import * as api from '../api/client';
import { ApiError, NetworkError } from '../api/client';
import type { Todo } from '../api/types';
import { transaction } from './storage';

export type Change =
  | { seq?: number; kind: 'create'; id: string; key: string; title: string; completed: boolean; at: string }
  | { seq?: number; kind: 'update'; id: string; patch: { title?: string; completed?: boolean } }
  | { seq?: number; kind: 'delete'; id: string };

/** Ids of todos created offline start with this until the server gives them a real one. */
export const LOCAL_PREFIX = 'local-';

/** Queued changes were sent or refused: `{ sent, rejected }`. */
export const OUTBOX_EVENT = 'neoforge-outbox';
/** A creation made offline was saved: `{ localId, todo }`, the todo with its real id. */
export const OUTBOX_CREATED_EVENT = 'neoforge-outbox-created';
export interface Created {
  localId: string;
  todo: Todo;
}

// Every tab shows the queued changes, so every tab hears how they went, not only the sender.
const channel = 'BroadcastChannel' in window ? new BroadcastChannel('neoforge-outbox') : null;
channel?.addEventListener('message', ({ data }: MessageEvent<{ type: string; detail: unknown }>) =>
  window.dispatchEvent(new CustomEvent(data.type, { detail: data.detail })),
);
function tell(type: string, detail: unknown) {
  window.dispatchEvent(new CustomEvent(type, { detail }));
  channel?.postMessage({ type, detail });
}
const announce = (detail: { sent: number; rejected: number }) => tell(OUTBOX_EVENT, detail);

export async function queue(change: Change): Promise<void> {
  await transaction('readwrite', (store) => store.add(change));
  announce({ sent: 0, rejected: 0 });
}

export async function pendingChanges(): Promise<Change[]> {
  return ((await transaction('readonly', (store) => store.getAll())) as Change[] | undefined) ?? [];
}

async function first(): Promise<Change | undefined> {
  const oldest = (await transaction('readonly', (store) => store.getAll(null, 1))) as Change[] | undefined;
  return oldest?.[0];
}

const remove = (seq: number) => transaction('readwrite', (store) => store.delete(seq));

/** The created todo has its real id now: later changes to it use that. */
async function resolveId(localId: string, id: string, createdSeq: number) {
  await transaction('readwrite', (store) => {
    store.delete(createdSeq);
    const cursor = store.openCursor();
    cursor.onsuccess = () => {
      const current = cursor.result;
      if (!current) return;
      const change = current.value as Change;
      if (change.id === localId) current.update({ ...change, id });
      current.continue();
    };
  });
}

let replaying: Promise<void> | null = null;

/** Send every queued change, oldest first; stops at the first one the network fails. */
export function replay(): Promise<void> {
  if (!('locks' in navigator)) return replayNow();
  replaying ??= (async () => {
    await navigator.locks.request('neoforge-outbox', replayNow);
  })().finally(() => {
    replaying = null;
  });
  return replaying;
}

async function replayNow(): Promise<void> {
  let sent = 0;
  let rejected = 0;
  for (let change = await first(); change; change = await first()) {
    const seq = change.seq as number;
    try {
      if (change.kind === 'create') {
        const todo = await api.createTodo({ title: change.title, completed: change.completed }, change.key);
        await resolveId(change.id, todo.id, seq);
        tell(OUTBOX_CREATED_EVENT, { localId: change.id, todo } satisfies Created);
      } else if (change.id.startsWith(LOCAL_PREFIX)) {
        // Its creation was refused, so there is nothing left to change.
        await remove(seq);
        rejected++;
        continue;
      } else if (change.kind === 'update') {
        await api.updateTodo(change.id, change.patch);
        await remove(seq);
      } else {
        await api.deleteTodo(change.id).catch((error) => {
          if (!(error instanceof ApiError && error.status === 404)) throw error;
        });
        await remove(seq);
      }
      sent++;
    } catch (error) {
      if (error instanceof NetworkError || (error instanceof ApiError && (error.status === 401 || error.status >= 500 || error.status === 429))) {
        break; // try again later
      }
      await remove(seq); // refused for good (validation, gone): never retried
      rejected++;
    }
  }
  if (sent || rejected) announce({ sent, rejected });
}
