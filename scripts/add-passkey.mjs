#!/usr/bin/env node
// Adds a passkey to an account from the command line, as a browser with a software
// authenticator would (a P-256 key made here and then thrown away, no attestation), and
// prints the passkey as the API lists it. For scripts that need a real passkey row behind
// /api/users/me/passkeys/{id} (scripts/sql-injection); the key cannot sign in afterwards.
//
//   node scripts/add-passkey.mjs BASE_URL ACCESS_TOKEN [ORIGIN] [NAME]
//
// ORIGIN is the page origin the "browser" reports (default BASE_URL): it must be one the
// server accepts for passkeys, on its relying party's domain.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';

const [base, token, origin = base, name = 'Command-line passkey'] = process.argv.slice(2);
if (!base || !token) {
  console.error('usage: add-passkey.mjs BASE_URL ACCESS_TOKEN [ORIGIN] [NAME]');
  process.exit(2);
}

async function call(path, body) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

const b64 = (bytes) => Buffer.from(bytes).toString('base64url');

/** CBOR: an item head, shortest form. */
function head(major, value) {
  if (value < 24) return [(major << 5) | value];
  if (value < 0x100) return [(major << 5) | 24, value];
  return [(major << 5) | 25, value >> 8, value & 0xff];
}
const int = (n) => (n >= 0 ? head(0, n) : head(1, -1 - n));
const bytes = (data) => [...head(2, data.length), ...data];
const text = (s) => [...head(3, Buffer.byteLength(s)), ...Buffer.from(s)];

const started = await call('/api/users/me/passkeys/registration');
const { options } = started;
const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const jwk = publicKey.export({ format: 'jwk' });
const coseKey = [
  ...head(5, 5),
  ...int(1), ...int(2), // kty: EC2
  ...int(3), ...int(-7), // alg: ES256
  ...int(-1), ...int(1), // crv: P-256
  ...int(-2), ...bytes(Buffer.from(jwk.x, 'base64url')),
  ...int(-3), ...bytes(Buffer.from(jwk.y, 'base64url')),
];
const credentialId = randomBytes(16);
const authData = [
  ...createHash('sha256').update(options.rp.id).digest(),
  0x45, // user present, user verified, attested credential data
  0, 0, 0, 0, // signature counter
  ...new Array(16).fill(0), // AAGUID
  0, credentialId.length,
  ...credentialId,
  ...coseKey,
];
const attestationObject = [
  ...head(5, 3),
  ...text('fmt'), ...text('none'),
  ...text('attStmt'), ...head(5, 0),
  ...text('authData'), ...bytes(authData),
];
const clientData = JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin, crossOrigin: false });
const credential = {
  id: b64(credentialId),
  rawId: b64(credentialId),
  type: 'public-key',
  response: { clientDataJSON: b64(Buffer.from(clientData)), attestationObject: b64(attestationObject), transports: ['internal'] },
  clientExtensionResults: {},
};
const passkey = await call('/api/users/me/passkeys', { ceremony_id: started.ceremony_id, name, credential });
console.log(JSON.stringify(passkey));
