// "Continue with …" for each identity provider the server offers; renders nothing when there
// are none (or when they cannot be listed: the password form still works).
import { LitElement, css, html, nothing } from 'lit';
import * as api from '../api/client';
import type { Provider } from '../api/types';
import { rememberAfterProviderSignIn } from '../auth/session';
import { shared } from '../styles/shared';

export class NfProviderButtons extends LitElement {
  static styles = [
    shared,
    css`
      ul {
        list-style: none;
        margin: 0 0 var(--nf-space-4);
        padding: 0;
        display: grid;
        gap: var(--nf-space-2);
      }
      a.button {
        display: block;
        text-align: center;
      }
      .or {
        display: flex;
        align-items: center;
        gap: var(--nf-space-3);
        margin: var(--nf-space-4) 0;
        color: var(--nf-text-muted);
      }
      .or::before,
      .or::after {
        content: '';
        flex: 1;
        border-top: 1px solid var(--nf-border);
      }
    `,
  ];
  static properties = { providers: { state: true } };
  declare providers: Provider[];

  constructor() {
    super();
    this.providers = [];
  }

  connectedCallback() {
    super.connectedCallback();
    api.listProviders().then(
      (providers) => {
        this.providers = providers;
      },
      () => {
        this.providers = [];
      },
    );
  }

  /** Off to the provider: come back to the page the sign-in was for. */
  private leaving() {
    rememberAfterProviderSignIn(new URLSearchParams(location.search).get('next'));
  }

  render() {
    if (this.providers.length === 0) return nothing;
    return html`<ul aria-label="Sign in with another account">
        ${this.providers.map(
          (provider) => html`<li>
            <a class="button" href=${api.providerStartUrl(provider.id)} @click=${this.leaving}>Continue with ${provider.name}</a>
          </li>`,
        )}
      </ul>
      <p class="or">or with your email address</p>`;
  }
}
customElements.define('nf-provider-buttons', NfProviderButtons);
