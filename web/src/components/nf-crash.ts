// The message the shell shows when a page could not load (in the page's place, so its title
// is the page's heading) or something failed unhandled (above the page, which may still
// work), with the way out: Reload, and Dismiss when the page is still there.
import { LitElement, css, html, nothing } from 'lit';
import { type CrashKind, reloadApp } from '../crash';

const TEXT: Record<CrashKind, { title: string; body: string }> = {
  'page-unavailable': {
    title: 'This page could not be loaded',
    body: 'A new version of NeoForge may have been released, or the connection dropped. Reload to continue.',
  },
  unexpected: {
    title: 'Something went wrong',
    body: 'Part of the app stopped working. Reload to continue; what you saved is kept.',
  },
};

export class NfCrash extends LitElement {
  static styles = css`
    :host {
      display: block;
    }
    section {
      max-width: 40rem;
      margin: var(--nf-space-4) auto;
      padding: var(--nf-space-4);
      border: 2px solid var(--nf-danger);
      border-radius: var(--nf-radius);
      background: var(--nf-surface);
      color: var(--nf-text);
    }
    h1,
    h2 {
      margin: 0 0 var(--nf-space-2);
      font-size: var(--nf-text-lg);
    }
    p {
      margin: 0 0 var(--nf-space-3);
    }
    .actions {
      display: flex;
      flex-wrap: wrap;
      gap: var(--nf-space-2);
    }
    button {
      font: inherit;
      font-weight: 700;
      min-height: 2.75rem;
      padding: 0 var(--nf-space-4);
      border-radius: var(--nf-radius);
      border: 2px solid var(--nf-primary);
      cursor: pointer;
    }
    .reload {
      color: var(--nf-on-primary);
      background: var(--nf-primary);
    }
    .dismiss {
      color: var(--nf-text);
      background: transparent;
    }
    button:focus-visible {
      outline: 3px solid var(--nf-focus);
      outline-offset: 2px;
    }
  `;

  static properties = { kind: {}, dismissable: { type: Boolean } };
  declare kind: CrashKind;
  declare dismissable: boolean;

  constructor() {
    super();
    this.kind = 'unexpected';
    this.dismissable = false;
  }

  render() {
    const text = TEXT[this.kind];
    return html`<section role="alert" aria-labelledby="crash-title">
      ${this.kind === 'page-unavailable'
        ? html`<h1 id="crash-title">${text.title}</h1>`
        : html`<h2 id="crash-title">${text.title}</h2>`}
      <p>${text.body}</p>
      <div class="actions">
        <button class="reload" @click=${reloadApp}>Reload</button>
        ${this.dismissable
          ? html`<button class="dismiss" @click=${() => this.dispatchEvent(new Event('dismiss'))}>Dismiss</button>`
          : nothing}
      </div>
    </section>`;
  }
}
customElements.define('nf-crash', NfCrash);
