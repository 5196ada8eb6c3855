// Reads the server's outbox (<data dir>/mail/*.eml, RFC 5322 messages) the way a mail client
// would: headers unfolded, multipart bodies split, quoted-printable and base64 decoded.
import fs from 'node:fs';
import path from 'node:path';
import { DATA_DIR } from './env.mjs';

function parseHeaders(text) {
  const headers = {};
  for (const line of text.replace(/\r\n/g, '\n').replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function decodeQuotedPrintable(text) {
  const bytes = [];
  const source = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < source.length; i++) {
    if (source[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(source.slice(i + 1, i + 3))) {
      bytes.push(parseInt(source.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(source[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(headers, body) {
  const encoding = (headers['content-transfer-encoding'] ?? '').toLowerCase();
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/** Every text part of a message, decoded. */
export function textParts(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = parseHeaders(raw.slice(0, split));
  const body = raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1];
  if (!boundary) return [{ headers, text: decodeBody(headers, body) }];
  return body
    .split(`--${boundary}`)
    .slice(1)
    .filter((part) => !part.startsWith('--'))
    .flatMap((part) => textParts(part.replace(/^\r?\n/, '')))
    .map((part) => ({ headers: { ...headers, ...part.headers }, text: part.text }));
}

export function headersOf(raw) {
  return parseHeaders(raw.slice(0, raw.search(/\r?\n\r?\n/)));
}

/** Wait for the newest email to `to` that holds a link to `route` (other than `except`), and
 * return the link. */
export async function linkFromMail(to, route, { timeoutMs = 15_000, after = 0, except = null } = {}) {
  const dir = path.join(DATA_DIR, 'mail');
  const deadline = Date.now() + timeoutMs;
  const pattern = new RegExp(`https?://[^\\s"'<>]+${route.replace('/', '\\/')}\\?token=[A-Za-z0-9._~%-]+`);
  while (Date.now() < deadline) {
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.eml')) : [];
    const candidates = files
      .map((f) => ({ file: path.join(dir, f), mtime: fs.statSync(path.join(dir, f)).mtimeMs }))
      .filter(({ mtime }) => mtime >= after)
      .sort((a, b) => b.mtime - a.mtime);
    for (const { file } of candidates) {
      const raw = fs.readFileSync(file, 'utf8');
      if (!(headersOf(raw).to ?? '').toLowerCase().includes(to.toLowerCase())) continue;
      for (const { text } of textParts(raw)) {
        const match = pattern.exec(text.replace(/&amp;/g, '&'));
        if (match && match[0] !== except) return match[0];
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no email to ${to} with a ${route} link arrived in ${timeoutMs} ms (looked in ${dir})`);
}
