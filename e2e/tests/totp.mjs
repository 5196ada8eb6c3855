// An authenticator app for the browser tests: RFC 6238 codes (HMAC-SHA-1, 6 digits, 30 s)
// computed with node:crypto from the key the settings page shows.
import crypto from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Decode(text) {
  const bytes = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text.replace(/[\s=]/g, '').toUpperCase()) {
    const value = BASE32.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${char}`);
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** The 6-digit code of time step `step` (HMAC-SHA-1, RFC 4226 dynamic truncation). */
export function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const number = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(number).padStart(6, '0');
}

/** An authenticator app: each code once, as the server accepts them (one step of skew). */
export function authenticator(secret) {
  let lastStep = 0;
  return {
    async code() {
      for (;;) {
        const seconds = Math.floor(Date.now() / 1000);
        const current = Math.floor(seconds / 30);
        const step = Math.max(lastStep + 1, current);
        if (step <= current + 1) {
          lastStep = step;
          return totp(secret, step);
        }
        await new Promise((resolve) => setTimeout(resolve, (30 - (seconds % 30)) * 1000));
      }
    },
  };
}
