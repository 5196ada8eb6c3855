// The API's types, derived from the server's OpenAPI document: schema.gen.ts is generated
// from the snapshot-tested document by scripts/api-types.mjs (`npm run check` does it), so
// the type checker flags any drift between this client and the server.
import type { components } from './schema.gen';

type Schemas = components['schemas'];

export type Role = Schemas['Role'];
export type User = Schemas['UserResponse'];
/** A user as the admin area sees it. */
export type AdminUser = Schemas['AdminUser'];
export type TokenPair = Schemas['TokenPair'];
/** A sign-in that needs its second factor: send `mfa_token` and a code to `/api/auth/mfa`. */
export type MfaRequired = Schemas['MfaRequired'];
/** An authenticator app being set up: its secret, as text, URI and QR code (SVG). */
export type TotpEnrolment = Schemas['TotpEnrolment'];
/** Recovery codes, shown once. */
export type RecoveryCodes = Schemas['RecoveryCodes'];
export type Session = Schemas['SessionResponse'];
export type Todo = Schemas['Todo'];
export type TodoStats = Schemas['TodoStats'];
export type AuditEntry = Schemas['AuditRecord'];
/** A personal API key as listed: never its secret. */
export type ApiKey = Schemas['ApiKey'];
export type ApiKeyScope = Schemas['ApiKeyScope'];
/** The answer to a creation: the one time the secret `key` is ever shown. */
export type CreatedApiKey = Schemas['CreatedApiKey'];
export type AuditEvent = Schemas['AuditEvent'];
export type FieldError = Schemas['FieldError'];
/** RFC 9457 problem details, the body of every error. */
export type Problem = Schemas['Problem'];

export type RegisterRequest = Schemas['RegisterRequest'];
export type LoginRequest = Schemas['LoginRequest'];
export type UpdateMeRequest = Schemas['UpdateMeRequest'];
export type CreateTodo = Schemas['CreateTodo'];
export type UpdateTodo = Schemas['UpdateTodo'];
export type AdminUpdateUser = Schemas['AdminUpdateUserRequest'];
export type AssistantStatus = Schemas['AssistantStatus'];
export type PlanRequest = Schemas['PlanRequest'];
/** Proposed todos: nothing is created until the client creates them. */
export type Plan = Schemas['Plan'];
export type CreateApiKey = Schemas['CreateApiKey'];
/** An identity provider the sign-in page offers ("Continue with …"). */
export type Provider = Schemas['ProviderInfo'];
/** An account at another provider linked to the user's. */
export type Identity = Schemas['IdentityResponse'];
/** A passkey as listed: never its key material. */
export type Passkey = Schemas['PasskeyResponse'];
/** The start of a WebAuthn ceremony: its id and the options for the browser (JSON form). */
export type CeremonyOptions = Schemas['CeremonyOptions'];

export type TodoFilter = 'all' | 'active' | 'completed';

/** One page of a list: the shape of every `Page_*` schema. */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}
