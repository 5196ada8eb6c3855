// Draws the NeoForge icon (a check mark in a ring on the brand colour) as SVG and as PNGs,
// with no image library: a small rasteriser with 4x4 supersampling and a PNG encoder on zlib.
import { deflateSync } from 'node:zlib';

const BRAND = [67, 56, 202]; // #4338ca
const WHITE = [255, 255, 255];

/** The SVG source; `maskable` draws full-bleed with the mark inside the 80% safe zone. */
export function iconSvg({ maskable = false } = {}) {
  const radius = maskable ? 0 : 112;
  const scale = maskable ? 0.72 : 1;
  const t = (v) => (256 + (v - 256) * scale).toFixed(1);
  const stroke = (40 * scale).toFixed(1);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">` +
    `<rect width="512" height="512" rx="${radius}" fill="#4338ca"/>` +
    `<circle cx="256" cy="256" r="${(168 * scale).toFixed(1)}" fill="none" stroke="#fff" stroke-width="${stroke}"/>` +
    `<polyline points="${t(176)},${t(262)} ${t(236)},${t(322)} ${t(344)},${t(204)}" fill="none" stroke="#fff" ` +
    `stroke-width="${stroke}" stroke-linecap="round" stroke-linejoin="round"/></svg>\n`;
}

function segmentDistance(px, py, ax, ay, bx, by) {
  const dx = bx - ax, dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** Whether the point (in 512-unit icon space) is on the background, the mark, or outside. */
function sample(x, y, maskable) {
  const radius = maskable ? 0 : 112;
  const cx = Math.min(Math.max(x, radius), 512 - radius);
  const cy = Math.min(Math.max(y, radius), 512 - radius);
  if (x < 0 || y < 0 || x > 512 || y > 512 || Math.hypot(x - cx, y - cy) > radius) return null;
  const scale = maskable ? 0.72 : 1;
  const t = (v) => 256 + (v - 256) * scale;
  const half = 20 * scale;
  const ring = Math.abs(Math.hypot(x - 256, y - 256) - 168 * scale) <= half;
  const check = segmentDistance(x, y, t(176), t(262), t(236), t(322)) <= half ||
    segmentDistance(x, y, t(236), t(322), t(344), t(204)) <= half;
  return ring || check ? WHITE : BRAND;
}

function rasterise(size, maskable) {
  const pixels = Buffer.alloc(size * size * 4);
  const n = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const colour = sample(((px + (sx + 0.5) / n) * 512) / size, ((py + (sy + 0.5) / n) * 512) / size, maskable);
          if (colour) { r += colour[0]; g += colour[1]; b += colour[2]; a += 1; }
        }
      }
      const i = (py * size + px) * 4;
      if (a > 0) { pixels[i] = r / a; pixels[i + 1] = g / a; pixels[i + 2] = b / a; }
      pixels[i + 3] = Math.round((a / (n * n)) * 255);
    }
  }
  return pixels;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buffer) {
  let c = 0xffffffff;
  for (const byte of buffer) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A PNG of the icon, `size` pixels square. */
export function iconPng(size, { maskable = false } = {}) {
  const pixels = rasterise(size, maskable);
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    rows[y * (size * 4 + 1)] = 0; // filter: none
    pixels.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
