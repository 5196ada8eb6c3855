// "Confirm your address" for a signed-in user whose email is not verified yet: shown on every
// page until they open the link, with a button to send it again. When they come back to this
// tab (having opened the link elsewhere) it asks the server again and disappears if done.
import { LitElement, css, html, nothing } from 'lit';
import * as api from '../api/client';
import { describeError } from '../api/client';
import type { User } from '../api/types';
import { updateUser } from '../auth/session';
import { shared } from '../styles/shared';

export class NfVerifyBanner extends LitElement {
  static styles = [
    shared,
    css`
      :host {
        display: block;
      }
      .banner {
        display: flex;
        flex-wrap: wrap;
        gap: var(--nf-space-2) var(--nf-space-4);
        align-items: center;
        max-width: 68rem;
        margin: 0 auto;
        padding: var(--nf-space-2) var(--nf-space-4);
      }
      .wrap {
        color: var(--nf-warning-text);
        background: var(--nf-warning-bg);
        border-bottom: 1px solid var(--nf-border);
      }
      p {
        flex: 1 1 16rem;
        margin: 0;
        /* A long address breaks anywhere rather than widen a phone's screen. */
        overflow-wrap: anywhere;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: var(--nf-space-2);
      }
    `,
  ];

  static properties = {
    user: { attribute: false },
    status: { state: true },
    sending: { state: true },
    dismissed: { state: true },
  };
  declare user: User;
  declare status: string | null;
  declare sending: boolean;
  declare dismissed: boolean;

  constructor() {
    super();
    this.status = null;
    this.sending = false;
    this.dismissed = false;
  }

  connectedCallback() {
    super.connectedCallback();
    document.addEventListener('visibilitychange', this.recheck);
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    document.removeEventListener('visibilitychange', this.recheck);
  }

  private recheck = async () => {
    if (document.visibilityState !== 'visible' || this.user.email_verified) return;
    try {
      const user = await api.me();
      if (user.email_verified) updateUser(user);
    } catch {
      /* offline or signed out meanwhile: the banner stays as it was */
    }
  };

  private async resend() {
    this.sending = true;
    try {
      await api.resendVerification();
      this.status = 'Sent. It may take a minute to arrive; check your spam folder too.';
    } catch (error) {
      this.status = describeError(error);
    } finally {
      this.sending = false;
    }
  }

  render() {
    if (this.user.email_verified || this.dismissed) return nothing;
    return html`<div class="wrap">
      <div class="banner" role="region" aria-label="Confirm your email address">
        <p>
          Confirm your email address: we sent a link to <strong>${this.user.email}</strong>.
          <span role="status">${this.status ?? nothing}</span>
        </p>
        <div class="actions">
          <button type="button" @click=${this.resend} ?disabled=${this.sending}>Send the link again</button>
          <button type="button" @click=${() => (this.dismissed = true)}>Later</button>
        </div>
      </div>
    </div>`;
  }
}
customElements.define('nf-verify-banner', NfVerifyBanner);
