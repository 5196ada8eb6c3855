// The browser session: the access token in memory, the refresh token in the server's HttpOnly
// cookie. A token is refreshed silently a minute before it expires and once after a 401; tabs
// take turns (Web Locks), since a refresh token is single-use and a reused one ends the session.
import { createContext } from '@lit/context';
import * as api from '../api/client';
import { ApiError, NetworkError } from '../api/client';
import type { TokenPair, User } from '../api/types';
import { clearOfflineData } from '../offline/storage';
import { setAccessToken, setRefresher } from './token';

export type SessionState =
  | { status: 'loading' }
  | { status: 'signed-out' }
  /** `offline`: the user and their data come from the last visit's cache. */
  | { status: 'signed-in'; user: User; offline: boolean };

export const sessionContext = createContext<SessionState>(Symbol('session'));

type Listener = (state: SessionState) => void;
const listeners = new Set<Listener>();
let state: SessionState = { status: 'loading' };
let refreshTimer: number | undefined;
let refreshing: Promise<boolean> | null = null;

export const currentSession = () => state;
export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
function setState(next: SessionState) {
  state = next;
  for (const listener of listeners) listener(state);
}

function accept(tokens: TokenPair) {
  setAccessToken(tokens.access_token);
  window.clearTimeout(refreshTimer);
  const inMs = Math.max(10, tokens.expires_in - 60) * 1000;
  refreshTimer = window.setTimeout(() => void refreshToken(), inMs);
}

async function withLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  return navigator.locks ? navigator.locks.request(name, task) : task();
}

/** A new access token from the refresh cookie; false when there is no live session. */
export function refreshToken(): Promise<boolean> {
  refreshing ??= withLock('neoforge-refresh', async () => {
    try {
      accept(await api.refresh());
      return true;
    } catch (error) {
      // Only the server's "no" ends the session; being offline or rate limited does not.
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) signedOut();
      return false;
    }
  }).finally(() => {
    refreshing = null;
  });
  return refreshing;
}
setRefresher(refreshToken);

/** Whether this browser may hold a refresh cookie (a hint, not a secret): visitors who never
 * signed in are not sent to /api/auth/refresh for a certain 401. */
const HINT = 'neoforge-signed-in';
const mayHaveSession = () => localStorage.getItem(HINT) === '1';

function signedOut() {
  window.clearTimeout(refreshTimer);
  setAccessToken(null);
  localStorage.removeItem(HINT);
  if (state.status !== 'signed-out') setState({ status: 'signed-out' });
}

/** Where to go after a sign-in through another provider, kept in this tab while the browser
 * is away at the provider (the sign-in page's `next`). */
const AFTER_PROVIDER = 'neoforge-after-provider-sign-in';

export function rememberAfterProviderSignIn(next: string | null) {
  if (next && next.startsWith('/') && !next.startsWith('//')) sessionStorage.setItem(AFTER_PROVIDER, next);
  else sessionStorage.removeItem(AFTER_PROVIDER);
}

/** Where a sign-in through another provider was meant to lead, once. */
export function takeAfterProviderSignIn(): string | null {
  const next = sessionStorage.getItem(AFTER_PROVIDER);
  sessionStorage.removeItem(AFTER_PROVIDER);
  return next;
}

/** A provider sign-in lands on `/app?signed_in=1` with a fresh refresh cookie: remember that
 * there is a session to resume, and go where the sign-in was meant to lead, without the marker. */
function arrivedSignedIn() {
  const url = new URL(location.href);
  if (url.searchParams.get('signed_in') !== '1') return;
  localStorage.setItem(HINT, '1');
  url.searchParams.delete('signed_in');
  const next = takeAfterProviderSignIn();
  history.replaceState(history.state, '', next ?? url.pathname + url.search + url.hash);
}

/** On start: resume the session from the cookie, or from the cache when offline. */
export async function startSession(): Promise<void> {
  arrivedSignedIn();
  if (!mayHaveSession()) {
    signedOut();
    return;
  }
  try {
    accept(await withLock('neoforge-refresh', refreshWithRetry));
    setState({ status: 'signed-in', user: await api.me(), offline: false });
  } catch (error) {
    if (error instanceof NetworkError || (error instanceof ApiError && transient(error))) {
      // Offline: the service worker answers with the user last seen, if there was one.
      try {
        setState({ status: 'signed-in', user: await api.me(), offline: true });
        return;
      } catch {
        /* nobody signed in here before */
      }
    }
    signedOut();
  }
}

const transient = (error: ApiError) => error.status === 429 || error.status >= 500;

/** A refresh, tried once more after a short wait when the server is busy or limiting. */
async function refreshWithRetry(): Promise<TokenPair> {
  try {
    return await api.refresh();
  } catch (error) {
    if (!(error instanceof ApiError && transient(error))) throw error;
    await new Promise((resolve) => setTimeout(resolve, Math.min(error.retryAfter ?? 1, 5) * 1000));
    return api.refresh();
  }
}

/** Once back online after an offline start: get a real token. */
export async function resumeOnline(): Promise<void> {
  if (state.status === 'signed-in' && state.offline && (await refreshToken())) {
    setState({ status: 'signed-in', user: await api.me(), offline: false });
  }
}

/** The second step a sign-in is waiting for: the token to send with the code. */
export interface PendingSecondFactor {
  mfaToken: string;
  /** When the token expires (ms since the epoch). */
  expiresAt: number;
}

/** Sign in with email and password: the user, or, when the account has two-factor on, the
 * pending second step to finish with `completeSecondFactor`. */
export async function signIn(email: string, password: string): Promise<User | PendingSecondFactor> {
  const answer = await api.login({ email, password });
  if ('mfa_required' in answer) {
    return { mfaToken: answer.mfa_token, expiresAt: Date.now() + answer.expires_in * 1000 };
  }
  return opened(answer);
}

/** Finish a sign-in with a code from the authenticator app or a recovery code. */
export async function completeSecondFactor(pending: PendingSecondFactor, code: string): Promise<User> {
  return opened(await api.completeMfa(pending.mfaToken, code));
}

/** The server's words for a passkey it does not know. */
const UNKNOWN_PASSKEY = 'This passkey is not registered here.';

/** Sign in with a passkey the user picks (no email address, no password). With
 * `mediation: 'conditional'` it waits for a pick from the email field's autofill; `signal`
 * ends that wait. Rejects with a DOMException when the user dismisses the browser's prompt. */
export async function signInWithPasskey(
  how: { mediation?: CredentialMediationRequirement; signal?: AbortSignal } = {},
): Promise<User> {
  // Loaded when first used: most visits never touch a passkey.
  const { forgetUnknownPasskey, getPasskey } = await import('./webauthn');
  const { ceremony_id, options } = await api.passkeyOptions();
  const credential = await getPasskey(options, how);
  try {
    return opened(await api.signInWithPasskey(ceremony_id, credential));
  } catch (error) {
    // A passkey this server does not know (deleted here): the device may stop offering it.
    // Only then: any other refusal leaves the device's passkeys alone.
    const unknown = error instanceof ApiError && error.status === 401 && error.problem.detail === UNKNOWN_PASSKEY;
    if (unknown && typeof options.rpId === 'string') {
      forgetUnknownPasskey(options.rpId, String(credential.id));
    }
    throw error;
  }
}

async function opened(tokens: TokenPair): Promise<User> {
  accept(tokens);
  localStorage.setItem(HINT, '1');
  const user = await api.me();
  setState({ status: 'signed-in', user, offline: false });
  return user;
}

export function updateUser(user: User) {
  if (state.status === 'signed-in') setState({ ...state, user });
}

/** End the session on the server, and forget everything this browser kept for it. */
export async function signOut(): Promise<void> {
  try {
    await api.logout();
  } catch (error) {
    if (!(error instanceof ApiError) && !(error instanceof NetworkError)) throw error;
  }
  await clearOfflineData();
  signedOut();
}

/** After the account was deleted or every session revoked: forget local state only. */
export async function forget(): Promise<void> {
  await clearOfflineData();
  signedOut();
}
