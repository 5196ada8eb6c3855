// What this browser keeps for offline use: the outbox of todo changes (IndexedDB) and the
// service worker's copies of API reads (Cache Storage). Both are wiped at sign-out.

export const API_CACHE = 'neoforge-api';
const DB_NAME = 'neoforge';
const STORE = 'outbox';

let opening: Promise<IDBDatabase> | null = null;

export function database(): Promise<IDBDatabase> {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'seq', autoIncrement: true });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => {
      opening = null;
      reject(request.error);
    };
  });
  return opening;
}

/** Run `work` in one transaction over the outbox and resolve when it commits. */
export async function transaction<T>(
  mode: IDBTransactionMode,
  work: (store: IDBObjectStore) => IDBRequest<T> | void,
): Promise<T | undefined> {
  const db = await database();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const request = work(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(request ? request.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export async function clearOfflineData(): Promise<void> {
  await Promise.allSettled([transaction('readwrite', (store) => store.clear()), caches.delete(API_CACHE)]);
}
