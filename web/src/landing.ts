// The landing page is plain HTML; this only applies the chosen theme and installs the
// service worker, so the app opens instantly (and offline) from here on.
import { applyTheme } from './theme';
import { registerServiceWorker } from './sw-client';

applyTheme();
registerServiceWorker().catch(() => {});
