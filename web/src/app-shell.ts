// The root of the app: header and navigation, the current page, status and toasts. It owns
// the session and publishes it to every page through context.
import { ContextProvider } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { type SessionState, currentSession, onSessionChange, resumeOnline, sessionContext, signOut, startSession } from './auth/session';
import './components/nf-crash';
import './components/nf-status-bar';
import './components/nf-toaster';
import './components/nf-verify-banner';
import { toast } from './components/nf-toaster';
import { CRASH_EVENT, type CrashKind, reportCrash, watchForCrashes } from './crash';
import { replay } from './offline/outbox';
import { NAVIGATE_EVENT, type Route, interceptLinks, match, navigate } from './router';

export class AppShell extends LitElement {
  static styles = css`
    :host {
      display: flex;
      flex-direction: column;
      min-height: 100vh;
    }
    header {
      background: var(--nf-surface);
      border-bottom: 1px solid var(--nf-border);
    }
    .bar {
      display: flex;
      flex-wrap: wrap;
      gap: var(--nf-space-2) var(--nf-space-4);
      align-items: center;
      justify-content: space-between;
      max-width: 68rem;
      margin: 0 auto;
      padding: var(--nf-space-2) var(--nf-space-4);
    }
    .brand {
      display: inline-flex;
      align-items: center;
      gap: var(--nf-space-2);
      min-height: 2.75rem;
      font-weight: 700;
      font-size: var(--nf-text-lg);
      color: var(--nf-text);
      text-decoration: none;
    }
    .brand svg {
      width: 1.75rem;
      height: 1.75rem;
    }
    nav ul {
      display: flex;
      flex-wrap: wrap;
      gap: var(--nf-space-1);
      margin: 0;
      padding: 0;
      list-style: none;
    }
    nav a,
    nav button {
      display: inline-flex;
      align-items: center;
      min-height: 2.75rem;
      padding: 0 var(--nf-space-3);
      border-radius: var(--nf-radius);
      color: var(--nf-text);
      background: none;
      border: none;
      font: inherit;
      text-decoration: none;
      cursor: pointer;
    }
    nav a:hover,
    nav button:hover {
      background: var(--nf-surface-2);
    }
    nav a[aria-current='page'] {
      font-weight: 700;
      text-decoration: underline;
      text-underline-offset: 0.3em;
    }
    :focus-visible {
      outline: 3px solid var(--nf-focus);
      outline-offset: 2px;
    }
    main {
      flex: 1;
    }
    .loading {
      padding: var(--nf-space-8) var(--nf-space-4);
      text-align: center;
      color: var(--nf-text-muted);
    }
  `;

  static properties = { session: { state: true }, route: { state: true }, crash: { state: true } };
  declare session: SessionState;
  declare route: Route | null;
  /** Set when a page could not load or an error went unhandled: the shell says so. */
  declare crash: CrashKind | null;

  private provider = new ContextProvider(this, { context: sessionContext, initialValue: currentSession() });
  private page: HTMLElement | null = null;
  private firstRoute = true;

  constructor() {
    super();
    this.session = currentSession();
    this.route = null;
    this.crash = null;
  }

  connectedCallback() {
    super.connectedCallback();
    watchForCrashes();
    window.addEventListener(CRASH_EVENT, (event) => {
      // A page that failed to load outranks a later, lesser complaint.
      if (this.crash !== 'page-unavailable') this.crash = (event as CustomEvent<CrashKind>).detail;
    });
    interceptLinks();
    onSessionChange((session) => {
      const wasSignedIn = this.session.status === 'signed-in';
      this.session = session;
      this.provider.setValue(session);
      if (session.status === 'signed-in' && !session.offline) void replay();
      if (wasSignedIn && session.status === 'signed-out' && this.route && this.route.access !== 'any' && this.route.access !== 'guest') {
        navigate('/login', { replace: true });
      } else {
        void this.resolve();
      }
    });
    window.addEventListener(NAVIGATE_EVENT, () => void this.resolve());
    window.addEventListener('online', () => {
      void resumeOnline().then(() => replay());
    });
    void startSession();
  }

  /** Decide which page the URL shows, given who is signed in. */
  private async resolve() {
    const session = this.session;
    if (session.status === 'loading') return;
    const route = match(location.pathname);
    const signedIn = session.status === 'signed-in';
    if ((route.access === 'user' || route.access === 'admin') && !signedIn) {
      const next = location.pathname + location.search;
      navigate(`/login?next=${encodeURIComponent(next)}`, { replace: true });
      return;
    }
    if (route.access === 'guest' && signedIn) {
      navigate('/app', { replace: true });
      return;
    }
    const shown = route.access === 'admin' && signedIn && session.user.role !== 'admin' ? match('') : route;
    try {
      await shown.load();
    } catch (error) {
      reportCrash('page-unavailable', error);
      return;
    }
    if (this.crash === 'page-unavailable') this.crash = null;
    if (!this.page || this.page.localName !== shown.tag) {
      this.page = document.createElement(shown.tag);
    }
    (this.page as HTMLElement & { query: URLSearchParams }).query = new URLSearchParams(location.search);
    const changed = this.route !== shown;
    this.route = shown;
    document.title = `${shown.title} · NeoForge`;
    if (changed) await this.focusPage();
  }

  /** After a navigation, move focus to the new page's heading so screen readers announce it. */
  private async focusPage() {
    await this.updateComplete;
    const page = this.page as (HTMLElement & { updateComplete?: Promise<unknown> }) | null;
    await page?.updateComplete;
    if (this.firstRoute) {
      this.firstRoute = false;
      return;
    }
    window.scrollTo(0, 0);
    page?.shadowRoot?.querySelector<HTMLElement>('h1')?.focus();
  }

  private async signOut() {
    await signOut();
    toast({ message: 'You are signed out.' });
    navigate('/login');
  }

  private link(path: string, label: string) {
    const current = this.route?.path === path ? 'page' : undefined;
    return html`<li><a href=${path} aria-current=${current ?? nothing}>${label}</a></li>`;
  }

  render() {
    const session = this.session;
    const signedIn = session.status === 'signed-in';
    return html`
      <header>
        <div class="bar">
          <a class="brand" href="/">
            <svg viewBox="0 0 512 512" aria-hidden="true">
              <rect width="512" height="512" rx="112" fill="#4338ca" />
              <circle cx="256" cy="256" r="168" fill="none" stroke="#fff" stroke-width="40" />
              <polyline points="176,262 236,322 344,204" fill="none" stroke="#fff" stroke-width="40" stroke-linecap="round" stroke-linejoin="round" />
            </svg>
            NeoForge
          </a>
          ${session.status === 'loading'
            ? nothing
            : html`<nav aria-label="Main">
                <ul>
                  ${signedIn
                    ? html`${this.link('/app', 'Todos')}${this.link('/settings', 'Settings')}
                        ${session.user.role === 'admin' ? this.link('/admin', 'Admin') : nothing}
                        <li><button @click=${this.signOut}>Sign out</button></li>`
                    : html`${this.link('/login', 'Sign in')}${this.link('/register', 'Create account')}`}
                </ul>
              </nav>`}
        </div>
      </header>
      <nf-status-bar></nf-status-bar>
      ${signedIn && !session.offline ? html`<nf-verify-banner .user=${session.user}></nf-verify-banner>` : nothing}
      <main id="main">
        ${this.crash === 'unexpected'
          ? html`<nf-crash kind="unexpected" dismissable @dismiss=${() => (this.crash = null)}></nf-crash>`
          : nothing}
        ${this.crash === 'page-unavailable'
          ? html`<nf-crash kind="page-unavailable"></nf-crash>`
          : this.route && this.page
            ? this.page
            : html`<p class="loading" role="status">Loading…</p>`}
      </main>
      <nf-toaster></nf-toaster>
    `;
  }
}
customElements.define('app-shell', AppShell);
