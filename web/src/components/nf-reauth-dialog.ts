// "Confirm it is you": asked before a change to how the account signs in when the session
// signed in too long ago. An account with a password types it again; one without (created
// through another identity provider) signs in again instead.
import { LitElement, html, nothing } from 'lit';
import * as api from '../api/client';
import { ApiError, describeError } from '../api/client';
import { currentSession, signOut } from '../auth/session';
import { navigate } from '../router';
import { dialogStyles, field, formMessage, shared } from '../styles/shared';

/** The user closed the dialog without confirming: the change is not made. */
export class ReauthCancelled extends Error {
  constructor() {
    super('Not confirmed.');
  }
}

export class NfReauthDialog extends LitElement {
  static styles = [shared, dialogStyles];

  static properties = {
    error: { state: true },
    passwordError: { state: true },
    busy: { state: true },
  };
  declare error: string | null;
  declare passwordError: string | null;
  declare busy: boolean;

  private settle: ((confirmed: boolean) => void) | null = null;

  constructor() {
    super();
    this.error = null;
    this.passwordError = null;
    this.busy = false;
  }

  /** Open the dialog; resolves true once the server accepted the confirmation. */
  ask(): Promise<boolean> {
    return new Promise((resolve) => {
      this.settle = resolve;
      void this.updateComplete.then(() => this.renderRoot.querySelector('dialog')?.showModal());
    });
  }

  private finish(confirmed: boolean) {
    const settle = this.settle;
    this.settle = null;
    this.renderRoot.querySelector('dialog')?.close();
    settle?.(confirmed);
  }

  private async confirm(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const password = (new FormData(form).get('reauth-password') as string) ?? '';
    this.busy = true;
    this.error = this.passwordError = null;
    try {
      await api.reauthenticate(password);
      this.finish(true);
    } catch (error) {
      if (error instanceof ApiError && error.fields.password) this.passwordError = 'That is not your password.';
      else this.error = describeError(error);
    } finally {
      this.busy = false;
    }
  }

  private async signInAgain() {
    const here = location.pathname + location.search;
    this.finish(false);
    await signOut();
    navigate(`/login?next=${encodeURIComponent(here)}`);
  }

  render() {
    const session = currentSession();
    const hasPassword = session.status !== 'signed-in' || session.user.has_password;
    return html`<dialog aria-labelledby="reauth-title" @close=${() => this.finish(false)}>
      <h2 id="reauth-title">Confirm it is you</h2>
      ${hasPassword
        ? html`<p>You signed in a while ago. Enter your password to make this change.</p>
            <form @submit=${this.confirm} novalidate>
              ${formMessage(this.error)}
              ${field({
                id: 'reauth-password',
                label: 'Password',
                type: 'password',
                autocomplete: 'current-password',
                error: this.passwordError ?? undefined,
              })}
              <div class="row">
                <button class="button primary" type="submit" ?disabled=${this.busy}>Confirm</button>
                <button class="button" type="button" @click=${() => this.finish(false)}>Cancel</button>
              </div>
            </form>`
        : html`<p>You signed in a while ago. Sign in again to make this change; you will come back here.</p>
            <div class="row">
              <button class="button primary" type="button" @click=${this.signInAgain}>Sign in again</button>
              <button class="button" type="button" @click=${() => this.finish(false)}>Cancel</button>
            </div>`}
      ${nothing}
    </dialog>`;
  }
}

customElements.define('nf-reauth-dialog', NfReauthDialog);
