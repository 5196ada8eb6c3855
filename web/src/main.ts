// The app's entry point: theme first (no flash), then the shell, then the service worker.
import { applyTheme } from './theme';
import './app-shell';
import { registerServiceWorker } from './sw-client';

applyTheme();
registerServiceWorker().catch(() => {});
