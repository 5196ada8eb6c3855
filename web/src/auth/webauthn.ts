// The browser's side of passkeys: the server's options arrive in WebAuthn's JSON form
// (binary members base64url-encoded) and answers go back the same way. Browsers that have
// PublicKeyCredential.parse*OptionsFromJSON and toJSON() convert themselves; for the others
// a small converter does the same.

type Json = Record<string, unknown>;

/** What this browser's PublicKeyCredential may offer beyond TypeScript's DOM types. */
interface CredentialStatics {
  parseCreationOptionsFromJSON?: (options: Json) => PublicKeyCredentialCreationOptions;
  parseRequestOptionsFromJSON?: (options: Json) => PublicKeyCredentialRequestOptions;
  isConditionalMediationAvailable?: () => Promise<boolean>;
  signalUnknownCredential?: (options: { rpId: string; credentialId: string }) => Promise<void>;
}

const statics = () => (window.PublicKeyCredential as unknown as CredentialStatics | undefined) ?? {};

/** Whether this browser can make and use passkeys at all. */
export function passkeysSupported(): boolean {
  return typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;
}

/** Whether the browser can offer passkeys in a username field's autofill. */
export async function autofillAvailable(): Promise<boolean> {
  try {
    return passkeysSupported() && !!(await statics().isConditionalMediationAvailable?.());
  } catch {
    return false;
  }
}

/** The user dismissed the browser's prompt, or it timed out: nothing to report. */
export function wasDismissed(error: unknown): boolean {
  return error instanceof DOMException && (error.name === 'NotAllowedError' || error.name === 'AbortError');
}

/** `navigator.credentials.create()` for the server's creation options; the answer as JSON. */
export async function createPasskey(options: Json): Promise<Json> {
  const parse = statics().parseCreationOptionsFromJSON;
  const publicKey = parse ? parse(options) : creationOptions(options);
  const credential = (await navigator.credentials.create({ publicKey })) as PublicKeyCredential | null;
  if (!credential) throw new DOMException('No passkey was made.', 'NotAllowedError');
  return credentialJson(credential);
}

/** `navigator.credentials.get()` for the server's request options; the answer as JSON. With
 * `mediation: 'conditional'` it waits for the user to pick a passkey from autofill. */
export async function getPasskey(
  options: Json,
  how: { mediation?: CredentialMediationRequirement; signal?: AbortSignal } = {},
): Promise<Json> {
  const parse = statics().parseRequestOptionsFromJSON;
  const publicKey = parse ? parse(options) : requestOptions(options);
  const credential = (await navigator.credentials.get({ publicKey, ...how })) as PublicKeyCredential | null;
  if (!credential) throw new DOMException('No passkey was chosen.', 'NotAllowedError');
  return credentialJson(credential);
}

/** Tell the device that the server does not know this passkey, so it can stop offering it. */
export function forgetUnknownPasskey(rpId: string, credentialId: string) {
  void statics()
    .signalUnknownCredential?.({ rpId, credentialId })
    ?.catch(() => undefined);
}

// --- the fallback converter -------------------------------------------------------------

function fromBase64Url(text: string): ArrayBuffer {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=');
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

function toBase64Url(buffer: ArrayBuffer | ArrayBufferView): string {
  const bytes = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const descriptors = (list: unknown) =>
  ((list as Json[] | undefined) ?? []).map((d) => ({ ...d, id: fromBase64Url(d.id as string) })) as PublicKeyCredentialDescriptor[];

function creationOptions(options: Json): PublicKeyCredentialCreationOptions {
  const user = options.user as Json;
  return {
    ...(options as unknown as PublicKeyCredentialCreationOptions),
    challenge: fromBase64Url(options.challenge as string),
    user: { ...(user as unknown as PublicKeyCredentialUserEntity), id: fromBase64Url(user.id as string) },
    excludeCredentials: descriptors(options.excludeCredentials),
  };
}

function requestOptions(options: Json): PublicKeyCredentialRequestOptions {
  return {
    ...(options as unknown as PublicKeyCredentialRequestOptions),
    challenge: fromBase64Url(options.challenge as string),
    allowCredentials: descriptors(options.allowCredentials),
  };
}

function credentialJson(credential: PublicKeyCredential): Json {
  const own = credential as PublicKeyCredential & { toJSON?: () => Json };
  if (typeof own.toJSON === 'function') return own.toJSON();
  const response = credential.response;
  const json: Json = {
    clientDataJSON: toBase64Url(response.clientDataJSON),
  };
  if (response instanceof AuthenticatorAttestationResponse) {
    json.attestationObject = toBase64Url(response.attestationObject);
    json.transports = response.getTransports?.() ?? [];
  } else if (response instanceof AuthenticatorAssertionResponse) {
    json.authenticatorData = toBase64Url(response.authenticatorData);
    json.signature = toBase64Url(response.signature);
    if (response.userHandle) json.userHandle = toBase64Url(response.userHandle);
  }
  return {
    id: credential.id,
    rawId: toBase64Url(credential.rawId),
    type: credential.type,
    response: json,
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
  };
}
