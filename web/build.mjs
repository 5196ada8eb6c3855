// Builds the web app into OUTDIR (the first argument): hashed, minified bundles, the HTML
// pages, the service worker, the manifest and icons, each with brotli and gzip variants, and
// `assets.rs`, the table the server embeds with `include_bytes!`.
//
//   node build.mjs OUTDIR
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import * as esbuild from 'esbuild';
import { iconPng, iconSvg } from './scripts/icons.mjs';

const root = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(process.argv[2] ?? path.join(root, '..', 'target', 'web-dev'));

const IMMUTABLE = 'public, max-age=31536000, immutable';
const NO_CACHE = 'no-cache';
const TYPES = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.js', '.css', '.html', '.svg', '.webmanifest', '.txt']);

/** url -> { bytes, cache } for every file the server will serve. */
const files = new Map();
const hash = (bytes) => createHash('sha256').update(bytes).digest('base64url').slice(0, 10);
function addHashed(name, bytes) {
  const ext = path.extname(name);
  const url = `/assets/${path.basename(name, ext)}-${hash(bytes)}${ext}`;
  files.set(url, { bytes, cache: IMMUTABLE });
  return url;
}
const addFixed = (url, bytes) => files.set(url, { bytes: Buffer.from(bytes), cache: NO_CACHE });

// 1. The application bundles: one entry per document, pages split into lazy chunks.
const bundle = await esbuild.build({
  entryPoints: {
    main: path.join(root, 'src/main.ts'),
    landing: path.join(root, 'src/landing.ts'),
    app: path.join(root, 'src/styles/app.css'),
  },
  bundle: true,
  splitting: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  // Paths in the metafile are relative to the working directory: "/" makes them URLs.
  absWorkingDir: '/',
  outdir: '/assets',
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  write: false,
  metafile: true,
  logLevel: 'warning',
});
const entries = {};
for (const file of bundle.outputFiles) {
  const url = file.path; // outdir is "/assets", so the path is the URL
  files.set(url, { bytes: Buffer.from(file.contents), cache: IMMUTABLE });
  const meta = bundle.metafile.outputs[file.path.slice(1)];
  const entry = meta?.entryPoint && path.basename(meta.entryPoint).replace(/\.(ts|css)$/, '');
  if (entry) entries[entry] = url;
}
for (const name of ['main', 'landing', 'app']) {
  if (!entries[name]) throw new Error(`no output for entry ${name}`);
}
// Chunks imported by the main entry point load in parallel with it.
const mainImports = bundle.metafile.outputs[entries.main.slice(1)]?.imports
  .filter((i) => i.kind === 'import-statement')
  .map((i) => '/' + i.path.replace(/^\//, '')) ?? [];

// 2. Icons and the manifest.
const icons = {
  svg: addHashed('icon.svg', Buffer.from(iconSvg())),
  png192: addHashed('icon-192.png', iconPng(192)),
  png512: addHashed('icon-512.png', iconPng(512)),
  maskable: addHashed('icon-maskable-512.png', iconPng(512, { maskable: true })),
  apple: addHashed('apple-touch-icon.png', iconPng(180, { maskable: true })),
};
const manifest = {
  id: '/app',
  name: 'NeoForge',
  short_name: 'NeoForge',
  description: 'Your todos, fast and private, online or offline.',
  start_url: '/app',
  scope: '/',
  display: 'standalone',
  background_color: '#ffffff',
  theme_color: '#4338ca',
  icons: [
    { src: icons.svg, sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
    { src: icons.png192, sizes: '192x192', type: 'image/png', purpose: 'any' },
    { src: icons.png512, sizes: '512x512', type: 'image/png', purpose: 'any' },
    { src: icons.maskable, sizes: '512x512', type: 'image/png', purpose: 'maskable' },
  ],
};
addFixed('/manifest.webmanifest', JSON.stringify(manifest, null, 2) + '\n');

// 3. The HTML documents, from templates with {{placeholders}}.
function page(template) {
  const values = {
    css: entries.app,
    main: entries.main,
    landing: entries.landing,
    icon: icons.svg,
    apple_icon: icons.apple,
    preloads: mainImports.map((url) => `<link rel="modulepreload" href="${url}">`).join('\n    '),
  };
  const source = fs.readFileSync(path.join(root, 'static', template), 'utf8');
  return source.replace(/\{\{(\w+)\}\}/g, (_, key) => {
    if (!(key in values)) throw new Error(`${template}: unknown placeholder ${key}`);
    return values[key];
  });
}
const shell = page('shell.html');
const landing = page('landing.html');
addFixed('/', landing);
addFixed('/app', shell);
addFixed('/robots.txt', fs.readFileSync(path.join(root, 'static/robots.txt')));

// 4. The service worker: its precache list and version are compiled in, so any change to the
// app changes sw.js, which is how browsers learn there is a new version.
const precache = [...files.keys()].filter((url) => !url.endsWith('.png') || url === icons.png192).sort();
const version = hash(Buffer.from(precache.map((url) => `${url} ${hash(files.get(url).bytes)}`).join('\n')));
const sw = await esbuild.build({
  entryPoints: [path.join(root, 'src/sw.ts')],
  bundle: true,
  format: 'iife',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  write: false,
  tsconfig: path.join(root, 'tsconfig.sw.json'),
  define: { __PRECACHE__: JSON.stringify(precache), __VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
});
addFixed('/sw.js', sw.outputFiles[0].contents);

// 5. Write everything with its compressed variants, and the Rust table.
fs.rmSync(outdir, { recursive: true, force: true });
fs.mkdirSync(outdir, { recursive: true });
const rows = [];
let jsBrotli = 0;
let jsGzip = 0;
for (const [url, { bytes, cache }] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
  const ext = url === '/' || url === '/app' ? '.html' : path.extname(url);
  const name = url === '/' ? 'index.html' : url === '/app' ? 'app.html' : url.slice(1).replaceAll('/', '_');
  const file = path.join(outdir, name);
  fs.writeFileSync(file, bytes);
  let br = null;
  let gz = null;
  if (COMPRESSIBLE.has(ext)) {
    const brotli = zlib.brotliCompressSync(bytes, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    });
    const gzip = zlib.gzipSync(bytes, { level: 9 });
    if (brotli.length < bytes.length) fs.writeFileSync((br = `${file}.br`), brotli);
    if (gzip.length < bytes.length) fs.writeFileSync((gz = `${file}.gz`), gzip);
    if (ext === '.js') {
      jsBrotli += Math.min(brotli.length, bytes.length);
      jsGzip += Math.min(gzip.length, bytes.length);
    }
  }
  const include = (f) => (f ? `Some(include_bytes!(${JSON.stringify(f)}))` : 'None');
  rows.push(
    `    Asset { path: ${JSON.stringify(url)}, content_type: ${JSON.stringify(TYPES[ext])}, ` +
      `cache_control: ${JSON.stringify(cache)}, etag: "\\"${hash(bytes)}\\"", ` +
      `body: include_bytes!(${JSON.stringify(file)}), br: ${include(br)}, gzip: ${include(gz)} },`,
  );
}
fs.writeFileSync(
  path.join(outdir, 'assets.rs'),
  `// Generated by web/build.mjs.\npub static ASSETS: &[Asset] = &[\n${rows.join('\n')}\n];\n`,
);
const sizes = { js_brotli_bytes: jsBrotli, js_gzip_bytes: jsGzip, files: files.size, version };
fs.writeFileSync(path.join(outdir, 'sizes.json'), JSON.stringify(sizes) + '\n');
console.log(
  `web app built: ${files.size} files, JavaScript ${(jsBrotli / 1024).toFixed(1)} KB brotli ` +
    `(${(jsGzip / 1024).toFixed(1)} KB gzip), version ${version}`,
);
