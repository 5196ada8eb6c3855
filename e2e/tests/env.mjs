// What scripts/e2e tells the tests: where the server is, its data dir, the admin it created.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BASE_URL = process.env.NEOFORGE_E2E_URL ?? 'http://127.0.0.1:8000';
export const DATA_DIR = process.env.NEOFORGE_E2E_DATA_DIR ?? '';
export const ADMIN_EMAIL = process.env.NEOFORGE_E2E_ADMIN_EMAIL ?? '';
export const ADMIN_PASSWORD = process.env.NEOFORGE_E2E_ADMIN_PASSWORD ?? '';
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// TESTING.md section 1: Playwright adds most of these itself, but not --disable-gpu or --disable-quic.
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Screenshots go to target/e2e/ at the repository's root. */
export const SHOTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'target', 'e2e');
/** The OpenID Connect provider scripts/e2e starts (tests/support/oidc-provider), by its button's name. */
export const OIDC_NAME = process.env.NEOFORGE_E2E_OIDC_NAME ?? 'Test ID';
