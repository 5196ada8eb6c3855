// Short messages at the bottom of the screen, optionally with one action (such as Undo).
import { LitElement, css, html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';

export interface ToastOptions {
  message: string;
  action?: { label: string; run: () => void };
  /** Milliseconds before it goes away by itself. */
  timeout?: number;
  /** Called when it goes away without its action having been used. */
  onExpire?: () => void;
}

interface Toast extends ToastOptions {
  id: number;
  timer: number;
}

let instance: NfToaster | null = null;
let nextId = 1;

/** Show a toast; returns a function that dismisses it early (without `onExpire`). */
export function toast(options: ToastOptions): () => void {
  if (!instance) {
    options.onExpire?.();
    return () => {};
  }
  return instance.show(options);
}

export class NfToaster extends LitElement {
  static styles = css`
    :host {
      position: fixed;
      inset: auto 0 0 0;
      display: flex;
      flex-direction: column;
      align-items: center;
      gap: var(--nf-space-2);
      padding: var(--nf-space-4);
      pointer-events: none;
      z-index: 20;
    }
    .toast {
      pointer-events: auto;
      display: flex;
      gap: var(--nf-space-4);
      align-items: center;
      max-width: min(32rem, 100%);
      padding: var(--nf-space-3) var(--nf-space-4);
      color: var(--nf-surface);
      background: var(--nf-text);
      border-radius: var(--nf-radius);
      box-shadow: var(--nf-shadow);
      animation: rise var(--nf-duration) ease-out;
    }
    button {
      font: inherit;
      font-weight: 700;
      min-height: 2.75rem;
      min-width: 2.75rem;
      padding: 0 var(--nf-space-3);
      color: var(--nf-text);
      background: var(--nf-surface);
      border: none;
      border-radius: var(--nf-radius);
      cursor: pointer;
    }
    button:focus-visible {
      outline: 3px solid var(--nf-focus);
      outline-offset: 2px;
    }
    @keyframes rise {
      from {
        transform: translateY(0.5rem);
        opacity: 0;
      }
    }
  `;

  static properties = { toasts: { state: true } };
  declare toasts: Toast[];

  constructor() {
    super();
    this.toasts = [];
  }

  connectedCallback() {
    super.connectedCallback();
    instance = this;
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    if (instance === this) instance = null;
  }

  show(options: ToastOptions): () => void {
    const id = nextId++;
    const timer = window.setTimeout(() => this.dismiss(id, true), options.timeout ?? 5000);
    this.toasts = [...this.toasts, { ...options, id, timer }];
    return () => this.dismiss(id, false);
  }

  private dismiss(id: number, expired: boolean) {
    const found = this.toasts.find((t) => t.id === id);
    if (!found) return;
    window.clearTimeout(found.timer);
    this.toasts = this.toasts.filter((t) => t.id !== id);
    if (expired) found.onExpire?.();
  }

  render() {
    return html`<div role="status" aria-live="polite">
      ${repeat(
        this.toasts,
        (t) => t.id,
        (t) => html`<div class="toast">
          <span>${t.message}</span>
          ${t.action
            ? html`<button
                @click=${() => {
                  this.dismiss(t.id, false);
                  t.action?.run();
                }}
              >
                ${t.action.label}
              </button>`
            : nothing}
        </div>`,
      )}
    </div>`;
  }
}
customElements.define('nf-toaster', NfToaster);
