// A block of text to paste elsewhere (a secret, a configuration) with its Copy button. Where the
// clipboard is refused (no permission, an insecure origin, an old browser) the text is selected
// instead, so the keyboard's copy shortcut finishes the job.
import { LitElement, css, html } from 'lit';

export class NfCopyable extends LitElement {
  static styles = css`
    :host {
      display: block;
    }
    pre {
      margin: 0 0 var(--nf-space-2);
      padding: var(--nf-space-3);
      font-family: var(--nf-font-mono);
      font-size: var(--nf-text-sm);
      line-height: 1.5;
      color: var(--nf-text);
      background: var(--nf-surface-2);
      border: 1px solid var(--nf-border);
      border-radius: var(--nf-radius);
      /* Keys and URLs have no spaces: they break anywhere rather than widen the page. */
      white-space: pre-wrap;
      overflow-wrap: anywhere;
    }
    .actions {
      display: flex;
      flex-wrap: wrap;
      gap: var(--nf-space-2) var(--nf-space-3);
      align-items: center;
    }
    button {
      display: inline-flex;
      align-items: center;
      min-height: 2.75rem;
      min-width: 2.75rem;
      padding: var(--nf-space-2) var(--nf-space-4);
      font: inherit;
      font-weight: 600;
      color: var(--nf-text);
      background: var(--nf-surface);
      border: 1px solid var(--nf-border);
      border-radius: var(--nf-radius);
      cursor: pointer;
    }
    button:hover {
      background: var(--nf-surface-2);
    }
    button:focus-visible {
      outline: 3px solid var(--nf-focus);
      outline-offset: 2px;
    }
    .status {
      font-size: var(--nf-text-sm);
      color: var(--nf-text-muted);
    }
    .visually-hidden {
      position: absolute;
      width: 1px;
      height: 1px;
      padding: 0;
      margin: -1px;
      overflow: hidden;
      clip: rect(0 0 0 0);
      white-space: nowrap;
      border: 0;
    }
  `;

  /** `focus()` on the element lands on its button, as a dialog opening on it needs. */
  static shadowRootOptions = { ...LitElement.shadowRootOptions, delegatesFocus: true };

  static properties = {
    text: {},
    what: {},
    status: { state: true },
  };
  /** The text shown and copied. */
  declare text: string;
  /** What the text is, completing the button's name for screen readers: "Copy the key". */
  declare what: string;
  declare status: string;

  constructor() {
    super();
    this.text = '';
    this.what = '';
    this.status = '';
  }

  protected willUpdate(changed: Map<string, unknown>) {
    if (changed.has('text')) this.status = '';
  }

  private async copy() {
    try {
      await navigator.clipboard.writeText(this.text);
      this.status = 'Copied.';
    } catch {
      const code = this.renderRoot.querySelector('code');
      const selection = window.getSelection();
      if (code && selection) selection.selectAllChildren(code);
      this.status = 'Your browser did not let us copy. The text is selected: press Ctrl+C (⌘C on a Mac) to copy it.';
    }
  }

  render() {
    return html`<pre><code>${this.text}</code></pre>
      <div class="actions">
        <button type="button" @click=${this.copy}>Copy<span class="visually-hidden"> ${this.what}</span></button>
        <span class="status" role="status">${this.status}</span>
      </div>`;
  }
}
customElements.define('nf-copyable', NfCopyable);
