// Settings > Sign-in methods > Linked accounts: the accounts at other identity providers
// (Google, GitHub, …) that sign the user in, each unlinkable while another way to sign in
// remains. Hidden when the server offers no provider and nothing is linked.
import { css, html, nothing } from 'lit';
import * as api from '../api/client';
import { ApiError, describeError } from '../api/client';
import type { Identity } from '../api/types';
import { withFreshSignIn } from '../auth/reauth';
import { toast } from '../components/nf-toaster';
import { formMessage } from '../styles/shared';
import { FormPage } from './form-page';
import { settingsStyles } from './settings-page.styles';

const day = (iso: string) => html`<time datetime=${iso}>${new Date(iso).toLocaleDateString()}</time>`;

export class SettingsLinkedAccounts extends FormPage {
  static styles = [
    ...FormPage.styles,
    settingsStyles,
    css`
      :host {
        display: block;
      }
      :host([hidden]) {
        display: none;
      }
      .identity {
        min-width: 0;
        flex: 1 1 14rem;
      }
      .provider {
        font-weight: 600;
      }
      .identity .hint {
        overflow-wrap: anywhere;
      }
    `,
  ];

  static properties = {
    ...FormPage.properties,
    identities: { state: true },
    offered: { state: true },
    loadError: { state: true },
  };
  declare identities: Identity[] | null;
  /** How many providers the server offers. */
  declare offered: number;
  declare loadError: string | null;

  constructor() {
    super();
    this.identities = null;
    this.offered = 0;
    this.loadError = null;
  }

  connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  private async load() {
    try {
      const [identities, providers] = await Promise.all([api.listIdentities(), api.listProviders()]);
      this.identities = identities.items;
      this.offered = providers.length;
      this.loadError = null;
    } catch (error) {
      this.loadError = `We could not load your linked accounts. ${describeError(error)}`;
    }
  }

  private async unlink(identity: Identity) {
    const what = identity.email ? `${identity.provider_name} (${identity.email})` : identity.provider_name;
    await this.submit(async () => {
      try {
        await withFreshSignIn(() => api.unlinkIdentity(identity.id));
        toast({ message: `${what} no longer signs you in.` });
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
        toast({ message: `${what} was already unlinked.` });
      }
      await this.load();
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('#linked-title')?.focus();
    });
  }

  private renderList(identities: Identity[]) {
    if (identities.length === 0) {
      return html`<p>
        No linked accounts. Signing in with a provider on the sign-in page links it, when the provider confirms that
        this account's email address is yours.
      </p>`;
    }
    return html`<ul class="rows" aria-label="Your linked accounts">
      ${identities.map(
        (identity) => html`<li>
          <div class="identity">
            <div class="provider">${identity.provider_name}</div>
            <div class="hint">
              ${identity.email ? html`${identity.email} · ` : nothing}linked ${day(identity.created_at)}, last used
              ${day(identity.last_used_at)}
            </div>
          </div>
          <button type="button" ?disabled=${this.busy} @click=${() => this.unlink(identity)}>
            Unlink<span class="visually-hidden"> ${identity.provider_name} ${identity.email ?? ''}</span>
          </button>
        </li>`,
      )}
    </ul>`;
  }

  /** Nothing to show: no link, and no provider to make one with (or not loaded yet). */
  private get empty() {
    const identities = this.identities;
    return !this.loadError && (!identities || (identities.length === 0 && this.offered === 0));
  }

  willUpdate() {
    // Hidden rather than empty, so the section draws no divider above it.
    this.hidden = this.empty;
  }

  render() {
    const identities = this.identities;
    if (this.empty) return nothing;
    return html`<h3 id="linked-title" tabindex="-1">Linked accounts</h3>
      <p class="hint">Accounts at other providers that sign you in here.</p>
      ${formMessage(this.message)}
      ${this.loadError ? html`<p role="alert">${this.loadError}</p>` : identities ? this.renderList(identities) : nothing}`;
  }
}
customElements.define('settings-linked-accounts', SettingsLinkedAccounts);
