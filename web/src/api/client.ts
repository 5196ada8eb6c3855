// The one API client: a typed function per endpoint of API.md. Errors are thrown as
// `ApiError` (the server answered with problem details) or `NetworkError` (no answer at all).
import { getAccessToken, refreshAccessToken } from '../auth/token';
import type {
  AdminUpdateUser,
  AdminUser,
  ApiKey,
  AssistantStatus,
  AuditEntry,
  AuditEvent,
  CeremonyOptions,
  CreateApiKey,
  CreateTodo,
  CreatedApiKey,
  Identity,
  LoginRequest,
  MfaRequired,
  Page,
  Passkey,
  Plan,
  PlanRequest,
  Problem,
  Provider,
  RecoveryCodes,
  RegisterRequest,
  Session,
  Todo,
  TodoFilter,
  TodoStats,
  TokenPair,
  TotpEnrolment,
  UpdateMeRequest,
  UpdateTodo,
  User,
} from './types';

/** The server answered with an error status. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(
    problem: Problem,
    readonly retryAfter: number | null = null,
    /** The change needs a recent sign-in: confirm the password, then retry (see auth/reauth). */
    readonly freshSignInRequired = false,
  ) {
    super(problem.detail || problem.title);
    this.status = problem.status;
    this.problem = problem;
  }
  /** Per-field messages of a validation failure: `{ title: "must be 1 to 500 characters" }`. */
  get fields(): Record<string, string> {
    const fields: Record<string, string> = {};
    for (const { field, message } of this.problem.errors ?? []) fields[field] ??= message;
    return fields;
  }
}

/** The request never got an answer: offline, DNS, connection refused. */
export class NetworkError extends Error {
  constructor() {
    super('You appear to be offline. Check your connection and try again.');
  }
}

/** Cookie-authenticated calls carry this header: the server's cross-site request forgery guard. */
const CSRF_HEADER = { 'X-Requested-With': 'neoforge' };

interface Options {
  method?: string;
  body?: unknown;
  /** Send the bearer token and retry once after a refresh on 401 (default true). */
  auth?: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

async function request<T>(path: string, options: Options = {}, retried = false): Promise<T> {
  const { method = 'GET', body, auth = true, signal } = options;
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = getAccessToken();
  if (auth && token) headers.Authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new NetworkError();
  }
  if (response.status === 401 && auth && !retried && (await refreshAccessToken())) {
    return request<T>(path, options, true);
  }
  if (!response.ok) throw await toApiError(response);
  // `202` has a body only where it says so (a sign-in that needs its second factor).
  const hasJson = (response.headers.get('Content-Type') ?? '').includes('json');
  if (response.status === 204 || (response.status === 202 && !hasJson)) return undefined as T;
  return (await response.json()) as T;
}

async function toApiError(response: Response): Promise<ApiError> {
  let problem: Problem;
  try {
    problem = (await response.json()) as Problem;
  } catch {
    problem = { type: 'about:blank', title: response.statusText, status: response.status, detail: '' };
  }
  problem.status ??= response.status;
  const retryAfter = Number(response.headers.get('Retry-After')) || null;
  const challenge = response.headers.get('WWW-Authenticate') ?? '';
  return new ApiError(problem, retryAfter, challenge.includes('insufficient_user_authentication'));
}

/** A sentence for a person, from any error this module throws. */
export function describeError(error: unknown): string {
  if (error instanceof NetworkError) return error.message;
  if (error instanceof ApiError) {
    if (error.status === 429) {
      const wait = error.retryAfter ? ` Try again in ${error.retryAfter} seconds.` : ' Try again in a moment.';
      return `Too many attempts.${wait}`;
    }
    if (error.status >= 500) return 'Something went wrong on our side. Please try again.';
    return error.problem.detail || error.problem.title;
  }
  return 'Something unexpected happened. Please try again.';
}

const query = (params: Record<string, string | number | undefined>) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
};

// Auth
export const register = (body: RegisterRequest) =>
  request<User>('/api/auth/register', { method: 'POST', body, auth: false });
/** A token pair, or, with two-factor on, the token for the second step (`202`). */
export const login = (body: LoginRequest) =>
  request<TokenPair | MfaRequired>('/api/auth/login', { method: 'POST', body, auth: false });
/** The second step of a sign-in: a code from the authenticator app, or a recovery code. */
export const completeMfa = (mfaToken: string, code: string) =>
  request<TokenPair>('/api/auth/mfa', { method: 'POST', body: { mfa_token: mfaToken, code }, auth: false });
/** Rotates the refresh cookie and returns a new access token. */
export const refresh = () =>
  request<TokenPair>('/api/auth/refresh', { method: 'POST', auth: false, headers: CSRF_HEADER });
export const logout = () => request<void>('/api/auth/logout', { method: 'POST', headers: CSRF_HEADER });
export const verifyEmail = (token: string) =>
  request<void>('/api/auth/verify-email', { method: 'POST', body: { token }, auth: false });
export const reauthenticate = (password: string) =>
  request<void>('/api/auth/reauthenticate', { method: 'POST', body: { password } });
export const resendVerification = () => request<void>('/api/auth/resend-verification', { method: 'POST' });
export const forgotPassword = (email: string) =>
  request<void>('/api/auth/forgot-password', { method: 'POST', body: { email }, auth: false });
export const resetPassword = (token: string, newPassword: string) =>
  request<void>('/api/auth/reset-password', {
    method: 'POST',
    body: { token, new_password: newPassword },
    auth: false,
  });

/** The identity providers to offer on the sign-in page (empty when none is configured). */
export const listProviders = () => request<Provider[]>('/api/auth/providers', { auth: false });
/** Where the browser goes (a full page load) to sign in at a provider. */
export const providerStartUrl = (id: string) => `/api/auth/providers/${encodeURIComponent(id)}/start`;

// The current user
export const me = () => request<User>('/api/users/me');
export const updateMe = (body: UpdateMeRequest) =>
  request<User>('/api/users/me', { method: 'PATCH', body });
export const changePassword = (currentPassword: string, newPassword: string) =>
  request<void>('/api/users/me/password', {
    method: 'POST',
    body: { current_password: currentPassword, new_password: newPassword },
  });
export const listSessions = () => request<Page<Session>>('/api/users/me/sessions');
export const revokeSession = (id: string) =>
  request<void>(`/api/users/me/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' });
export const deleteAccount = (password: string) =>
  request<void>('/api/users/me', { method: 'DELETE', body: { password } });
/** Start setting up an authenticator app (needs a fresh sign-in: wrap in `withFreshSignIn`). */
export const startTotp = () => request<TotpEnrolment>('/api/users/me/2fa/totp', { method: 'POST' });
export const confirmTotp = (code: string) =>
  request<RecoveryCodes>('/api/users/me/2fa/totp/confirm', { method: 'POST', body: { code } });
export const disableTotp = (password: string) =>
  request<void>('/api/users/me/2fa/totp', { method: 'DELETE', body: { password } });
/** New recovery codes (needs a fresh sign-in: wrap in `withFreshSignIn`). */
export const regenerateRecoveryCodes = () =>
  request<RecoveryCodes>('/api/users/me/2fa/recovery-codes', { method: 'POST' });
export const listApiKeys = (limit: number, offset: number) =>
  request<Page<ApiKey>>(`/api/users/me/api-keys${query({ limit, offset })}`);
/** No `Idempotency-Key`: a replayed answer would be a second copy of the secret it carries. */
export const createApiKey = (body: CreateApiKey) =>
  request<CreatedApiKey>('/api/users/me/api-keys', { method: 'POST', body });
export const listIdentities = () => request<Page<Identity>>('/api/users/me/identities?limit=100');
export const unlinkIdentity = (id: string) =>
  request<void>(`/api/users/me/identities/${encodeURIComponent(id)}`, { method: 'DELETE' });
export const revokeApiKey = (id: string) =>
  request<void>(`/api/users/me/api-keys/${encodeURIComponent(id)}`, { method: 'DELETE' });

// Passkeys. `credential` is a browser answer in its JSON form (PublicKeyCredential.toJSON()).
export const listPasskeys = () => request<Page<Passkey>>(`/api/users/me/passkeys${query({ limit: 100 })}`);
export const startPasskeyRegistration = () =>
  request<CeremonyOptions>('/api/users/me/passkeys/registration', { method: 'POST' });
export const addPasskey = (ceremonyId: string, name: string, credential: object) =>
  request<Passkey>('/api/users/me/passkeys', {
    method: 'POST',
    body: { ceremony_id: ceremonyId, name, credential },
  });
export const renamePasskey = (id: string, name: string) =>
  request<Passkey>(`/api/users/me/passkeys/${encodeURIComponent(id)}`, { method: 'PATCH', body: { name } });
export const deletePasskey = (id: string) =>
  request<void>(`/api/users/me/passkeys/${encodeURIComponent(id)}`, { method: 'DELETE' });
export const passkeyOptions = () =>
  request<CeremonyOptions>('/api/auth/passkey/options', { method: 'POST', auth: false });
export const signInWithPasskey = (ceremonyId: string, credential: object) =>
  request<TokenPair>('/api/auth/passkey', {
    method: 'POST',
    body: { ceremony_id: ceremonyId, credential },
    auth: false,
  });
export const reauthenticateWithPasskey = (ceremonyId: string, credential: object) =>
  request<void>('/api/auth/passkey/reauthenticate', {
    method: 'POST',
    body: { ceremony_id: ceremonyId, credential },
  });

// Todos
export const listTodos = (filter: TodoFilter, limit: number, offset: number, signal?: AbortSignal) =>
  request<Page<Todo>>(`/api/todos${query({ status_filter: filter, limit, offset })}`, { signal });
export const todoStats = () => request<TodoStats>('/api/todos/stats');
/** `idempotencyKey` makes a replay of the same creation (after a lost answer) harmless. */
export const createTodo = (body: CreateTodo, idempotencyKey: string) =>
  request<Todo>('/api/todos', { method: 'POST', body, headers: { 'Idempotency-Key': idempotencyKey } });
export const updateTodo = (id: string, body: UpdateTodo) =>
  request<Todo>(`/api/todos/${encodeURIComponent(id)}`, { method: 'PATCH', body });
export const deleteTodo = (id: string) =>
  request<void>(`/api/todos/${encodeURIComponent(id)}`, { method: 'DELETE' });

// Assistant
export const assistantStatus = () => request<AssistantStatus>('/api/assistant');
/** Proposed todo titles for free text; creates nothing. */
export const planTodos = (body: PlanRequest, signal?: AbortSignal) =>
  request<Plan>('/api/assistant/plan', { method: 'POST', body, signal });

// Admin
export const adminUsers = (q: string, limit: number, offset: number) =>
  request<Page<AdminUser>>(`/api/admin/users${query({ q, limit, offset })}`);
export const adminUpdateUser = (id: string, body: AdminUpdateUser) =>
  request<AdminUser>(`/api/admin/users/${encodeURIComponent(id)}`, { method: 'PATCH', body });
export const adminDeleteUser = (id: string) =>
  request<void>(`/api/admin/users/${encodeURIComponent(id)}`, { method: 'DELETE' });
export const auditLog = (filters: { user_id?: string; event?: AuditEvent }, limit: number, offset: number) =>
  request<Page<AuditEntry>>(`/api/admin/audit-log${query({ ...filters, limit, offset })}`);
