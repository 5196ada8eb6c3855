// The offline indicator and the new-version offer, announced politely.
import { LitElement, css, html, nothing } from 'lit';
import { UPDATE_EVENT, applyUpdate, updateWaiting } from '../sw-client';

export class NfStatusBar extends LitElement {
  static styles = css`
    :host {
      display: block;
    }
    .bar {
      display: flex;
      flex-wrap: wrap;
      gap: var(--nf-space-3);
      align-items: center;
      justify-content: center;
      padding: var(--nf-space-2) var(--nf-space-4);
      background: var(--nf-warning-bg);
      color: var(--nf-warning-text);
      font-size: var(--nf-text-sm);
      text-align: center;
      margin: 0;
    }
    button {
      font: inherit;
      font-weight: 700;
      min-height: 2.75rem;
      padding: 0 var(--nf-space-3);
      color: var(--nf-warning-text);
      background: transparent;
      border: 2px solid currentColor;
      border-radius: var(--nf-radius);
      cursor: pointer;
    }
    button:focus-visible {
      outline: 3px solid var(--nf-focus);
      outline-offset: 2px;
    }
  `;

  static properties = { offline: { state: true }, updateReady: { state: true } };
  declare offline: boolean;
  declare updateReady: boolean;

  constructor() {
    super();
    this.offline = !navigator.onLine;
    this.updateReady = updateWaiting();
  }

  private sync = () => {
    this.offline = !navigator.onLine;
    this.updateReady = updateWaiting();
  };

  connectedCallback() {
    super.connectedCallback();
    for (const name of ['online', 'offline', UPDATE_EVENT]) window.addEventListener(name, this.sync);
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    for (const name of ['online', 'offline', UPDATE_EVENT]) window.removeEventListener(name, this.sync);
  }

  render() {
    return html`<div role="status">
      ${this.offline
        ? html`<p class="bar" data-testid="offline">
            You are offline. You can keep working: your changes will be saved when you reconnect.
          </p>`
        : nothing}
      ${this.updateReady
        ? html`<div class="bar">
            <span>A new version of NeoForge is available.</span>
            <button @click=${applyUpdate}>Reload to update</button>
          </div>`
        : nothing}
    </div>`;
  }
}
customElements.define('nf-status-bar', NfStatusBar);
