// A small router: real URLs, pages loaded on first visit (each is its own chunk), links
// inside shadow roots followed without a page load.

export type Access = 'any' | 'guest' | 'user' | 'admin';

export interface Route {
  path: string;
  tag: string;
  title: string;
  access: Access;
  load: () => Promise<unknown>;
}

export const routes: Route[] = [
  { path: '/login', tag: 'login-page', title: 'Sign in', access: 'guest', load: () => import('./pages/login-page') },
  { path: '/register', tag: 'register-page', title: 'Create your account', access: 'guest', load: () => import('./pages/register-page') },
  { path: '/verify-email', tag: 'verify-email-page', title: 'Verify your email', access: 'any', load: () => import('./pages/verify-email-page') },
  { path: '/forgot-password', tag: 'forgot-password-page', title: 'Forgot your password', access: 'guest', load: () => import('./pages/forgot-password-page') },
  { path: '/reset-password', tag: 'reset-password-page', title: 'Choose a new password', access: 'any', load: () => import('./pages/reset-password-page') },
  { path: '/app', tag: 'todos-page', title: 'Your todos', access: 'user', load: () => import('./pages/todos-page') },
  { path: '/settings', tag: 'settings-page', title: 'Settings', access: 'user', load: () => import('./pages/settings-page') },
  { path: '/admin', tag: 'admin-page', title: 'Admin', access: 'admin', load: () => import('./pages/admin-page') },
];

export const notFound: Route = {
  path: '',
  tag: 'not-found-page',
  title: 'Page not found',
  access: 'any',
  load: () => import('./pages/not-found-page'),
};

export const match = (pathname: string) => routes.find((route) => route.path === pathname) ?? notFound;

export const NAVIGATE_EVENT = 'neoforge-navigate';

/** Go to an app URL without a page load; `replace` keeps the back button honest on redirects. */
export function navigate(url: string, { replace = false } = {}) {
  const target = new URL(url, location.origin);
  if (target.href === location.href) return;
  if (replace) history.replaceState(null, '', target);
  else history.pushState(null, '', target);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

/** Follow same-origin links to app routes in place, including links inside shadow roots. */
export function interceptLinks() {
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    const anchor = event.composedPath().find((node): node is HTMLAnchorElement => node instanceof HTMLAnchorElement);
    if (!anchor || !anchor.href || anchor.target || anchor.hasAttribute('download')) return;
    const url = new URL(anchor.href);
    if (url.origin !== location.origin || !routes.some((route) => route.path === url.pathname)) return;
    event.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
  window.addEventListener('popstate', () => window.dispatchEvent(new Event(NAVIGATE_EVENT)));
}
