import { css, html, nothing } from 'lit';
import { ApiError, describeError } from '../api/client';
import { signIn, signInWithPasskey } from '../auth/session';
import { autofillAvailable, passkeysSupported, wasDismissed } from '../auth/webauthn';
import { navigate } from '../router';
import { field, formMessage } from '../styles/shared';
import { FormPage } from './form-page';

export class LoginPage extends FormPage {
  static styles = [
    ...FormPage.styles,
    css`
      .or {
        display: flex;
        align-items: center;
        gap: var(--nf-space-3);
        color: var(--nf-text-muted);
        margin: var(--nf-space-4) 0;
      }
      .or::before,
      .or::after {
        content: '';
        flex: 1;
        border-top: 1px solid var(--nf-border);
      }
      .passkey {
        width: 100%;
      }
    `,
  ];

  /** Ends the wait for a passkey picked from the email field's autofill. */
  private autofill: AbortController | null = null;

  connectedCallback() {
    super.connectedCallback();
    void this.offerPasskeysInAutofill();
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    this.autofill?.abort();
    this.autofill = null;
  }

  private next() {
    const next = this.query.get('next');
    navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/app', { replace: true });
  }

  /** Let the browser list the user's passkeys under the email field: picking one signs in.
   * Anything that goes wrong here stays quiet; the button below says it out loud. */
  private async offerPasskeysInAutofill() {
    if (this.autofill || !(await autofillAvailable()) || !this.isConnected) return;
    const controller = new AbortController();
    this.autofill = controller;
    try {
      await signInWithPasskey({ mediation: 'conditional', signal: controller.signal });
      this.next();
    } catch (error) {
      if (controller.signal.aborted || wasDismissed(error) || !(error instanceof ApiError)) return;
      this.message = describeError(error);
    } finally {
      if (this.autofill === controller) this.autofill = null;
    }
  }

  private async passkeySignIn() {
    // One WebAuthn request at a time: the autofill one gives way to the button's.
    this.autofill?.abort();
    this.autofill = null;
    await this.submit(async () => {
      try {
        await signInWithPasskey();
      } catch (error) {
        if (error instanceof ApiError && error.status === 403) {
          throw new ApiError({ ...error.problem, detail: 'This account has been deactivated. Contact support to restore it.' });
        }
        if (!(error instanceof DOMException)) throw error;
        this.message = wasDismissed(error)
          ? 'No passkey was used: the request was cancelled or timed out.'
          : 'Passkeys do not work at this address. Sign in with your email and password.';
        return;
      }
      this.next();
    });
    if (this.isConnected) void this.offerPasskeysInAutofill();
  }

  private async onSubmit(event: SubmitEvent) {
    const { email, password } = this.values(event);
    await this.submit(async () => {
      try {
        await signIn(email, password);
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          throw new ApiError({ ...error.problem, detail: 'That email and password do not match an account.' });
        }
        if (error instanceof ApiError && error.status === 403) {
          throw new ApiError({ ...error.problem, detail: 'This account has been deactivated. Contact support to restore it.' });
        }
        throw error;
      }
      this.next();
    });
  }

  render() {
    const reset = this.query.get('reset') === '1';
    return html`<div class="page narrow">
      <h1 tabindex="-1">Sign in</h1>
      ${reset ? formMessage('Your password has been changed. Sign in with the new one.', 'success') : ''}
      ${formMessage(this.message)}
      <form @submit=${this.onSubmit} novalidate>
        ${field({ id: 'email', label: 'Email', type: 'email', autocomplete: 'username webauthn', error: this.errors.email })}
        ${field({ id: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', error: this.errors.password })}
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
      ${passkeysSupported()
        ? html`<p class="or">or</p>
            <button class="passkey" type="button" @click=${this.passkeySignIn} ?disabled=${this.busy}>Sign in with a passkey</button>`
        : nothing}
      <p><a href="/forgot-password">Forgot your password?</a></p>
      <p>New here? <a href="/register">Create an account</a></p>
    </div>`;
  }
}
customElements.define('login-page', LoginPage);
