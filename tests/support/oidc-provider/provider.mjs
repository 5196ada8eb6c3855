// A local OpenID Connect provider (node oidc-provider) for the sign-in tests: the Rust API
// tests start one per test, the browser tests one per run.
//
//   node provider.mjs [--port N] --redirect-uri URL [--redirect-uri URL ...]
//                     [--client-id ID] [--client-secret SECRET] [--id-token-claims]
//
// Prints `listening <issuer>` once it serves. Its own sign-in pages stand in for a real
// provider's: a login form (any email address is an account) and a consent page. An
// authorization request carrying `login_hint` skips both and signs that account in at once,
// so a program can run the whole flow with plain HTTP requests.
//
// Test controls (loopback only, never part of a real provider):
//   POST /__test/accounts {"id", "email", "email_verified", "name"}  what an account reports
//   POST /__test/jwks {"foreign": true}  publish another key under the signing key's id, so
//                                        the ID tokens no longer match the published keys
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

const { values: options } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    'client-id': { type: 'string', default: 'neoforge-test' },
    'client-secret': { type: 'string', default: 'neoforge-test-secret' },
    'id-token-claims': { type: 'boolean', default: false },
  },
});
if (options['redirect-uri'].length === 0) {
  console.error('at least one --redirect-uri is required');
  process.exit(2);
}

const KID = 'test-signing-key';
const rsaJwk = () => ({
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: KID,
  alg: 'RS256',
  use: 'sig',
});
const signingKey = rsaJwk();
/** The public half of a key that signs nothing here, under the same key id. */
const foreignKey = (({ kty, n, e, kid, alg, use }) => ({ kty, n, e, kid, alg, use }))(rsaJwk());
let publishForeignKey = false;

/** `id -> claims` set by the tests; any other id is an account with a verified address. */
const accounts = new Map();
function claimsOf(id) {
  return (
    accounts.get(id) ?? {
      email: id.includes('@') ? id : `${id}@example.test`,
      email_verified: true,
    }
  );
}

const server = createServer();
await new Promise((resolve) => server.listen(Number(options.port), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: options['client-id'],
      client_secret: options['client-secret'],
      client_name: 'NeoForge',
      redirect_uris: options['redirect-uri'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [signingKey] },
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => {
      const { email, email_verified, name } = claimsOf(id);
      return { sub: id, email, email_verified, ...(name ? { name } : {}) };
    },
  }),
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // Off: the email claims also ride in the ID token (as Google's do), not only in userinfo.
  conformIdTokenClaims: !options['id-token-claims'],
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['neoforge-test-provider-cookies'] },
});
provider.proxy = false;
const handleOidc = provider.callback();

const page = (title, body) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>${title}</h1>${body}</main></body></html>`;

const escapeHtml = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function grantConsent(req, res) {
  const { prompt, params, session, grantId } = await provider.interactionDetails(req, res);
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  const auto = details.params.login_hint;
  if (req.method === 'GET' && !action) {
    if (details.prompt.name === 'login') {
      if (auto) {
        await provider.interactionFinished(req, res, { login: { accountId: auto } }, { mergeWithLastSubmission: false });
        return;
      }
      return send(res, 200, 'text/html; charset=utf-8', page('Sign in to the test provider', `
        <form method="post" action="/interaction/${uid}/login">
          <label>Email address <input name="login" type="email" required autofocus></label>
          <button type="submit">Sign in</button>
        </form>
        <form method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>`));
    }
    if (details.prompt.name === 'consent') {
      if (auto) return grantConsent(req, res);
      const client = await provider.Client.find(details.params.client_id);
      return send(res, 200, 'text/html; charset=utf-8', page('Allow access', `
        <p>${escapeHtml(client?.clientName ?? details.params.client_id)} asks for your email address and name.</p>
        <form method="post" action="/interaction/${uid}/consent"><button type="submit">Allow</button></form>
        <form method="post" action="/interaction/${uid}/abort"><button type="submit">Deny</button></form>`));
    }
    return send(res, 501, 'text/plain', `unsupported prompt ${details.prompt.name}`);
  }
  if (req.method === 'POST' && action === 'login') {
    const login = new URLSearchParams(await readBody(req)).get('login')?.trim();
    if (!login) return send(res, 400, 'text/plain', 'an email address is required');
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    return;
  }
  if (req.method === 'POST' && action === 'consent') return grantConsent(req, res);
  if (req.method === 'POST' && action === 'abort') {
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'The user declined.' },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  return send(res, 405, 'text/plain', 'method not allowed');
}

server.on('request', async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    const route = url.pathname.match(/^\/interaction\/([\w-]+)(?:\/(login|consent|abort))?$/);
    if (route) return await interaction(req, res, route[1], route[2]);
    if (req.method === 'POST' && url.pathname === '/__test/accounts') {
      const { id, ...claims } = JSON.parse(await readBody(req));
      accounts.set(id, claims);
      return send(res, 204, 'text/plain', '');
    }
    if (req.method === 'POST' && url.pathname === '/__test/jwks') {
      publishForeignKey = Boolean(JSON.parse(await readBody(req)).foreign);
      return send(res, 204, 'text/plain', '');
    }
    if (publishForeignKey && req.method === 'GET' && url.pathname === '/jwks') {
      return send(res, 200, 'application/jwk-set+json', JSON.stringify({ keys: [foreignKey] }));
    }
    return handleOidc(req, res);
  } catch (error) {
    console.error(error);
    if (!res.headersSent) send(res, 500, 'text/plain', String(error?.message ?? error));
  }
});

console.log(`listening ${issuer}`);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
