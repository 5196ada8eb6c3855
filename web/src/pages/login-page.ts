import { css, html, nothing } from 'lit';
import { ApiError, describeError } from '../api/client';
import {
  type PendingSecondFactor,
  completeSecondFactor,
  signIn,
  signInWithPasskey,
  takeAfterProviderSignIn,
} from '../auth/session';
import { autofillAvailable, passkeysSupported, wasDismissed } from '../auth/webauthn';
import '../components/nf-provider-buttons';
import { navigate } from '../router';
import { field, formMessage } from '../styles/shared';
import { FormPage } from './form-page';

/** What went wrong when a sign-in through another provider sent the browser back here with
 * `?error=` (the codes of `GET /api/auth/providers/{id}/callback`). */
const PROVIDER_ERRORS: Record<string, string> = {
  invalid_state: 'That sign-in did not start in this browser, or took too long. Please try again.',
  cancelled: 'Signing in was cancelled at the provider.',
  provider_error: 'The provider could not confirm who you are. Please try again.',
  provider_unavailable: 'We could not reach that provider just now. Try again in a moment, or sign in another way.',
  email_missing:
    'The provider did not share your email address with us. Allow access to it there, or sign in another way.',
  email_unverified:
    'An account here already uses that email address, and the provider has not verified it, so we cannot link them. Sign in with your password instead, or verify the address at the provider and try again.',
  account_disabled: 'This account has been deactivated. Contact support to restore it.',
  too_many_attempts: 'Too many sign-in attempts from here. Wait a minute, then try again.',
};
const PROVIDER_ERROR_FALLBACK = 'Something went wrong while signing you in. Please try again.';

/** The sentence for a provider sign-in's `error` code. */
export function providerError(code: string): string {
  return Object.hasOwn(PROVIDER_ERRORS, code) ? PROVIDER_ERRORS[code] : PROVIDER_ERROR_FALLBACK;
}

/** A second step handed over in the address's fragment (`#mfa_token=…&expires_in=…`), as a
 * sign-in that left the app (another identity provider) comes back with it. */
function pendingFromFragment(): PendingSecondFactor | null {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const mfaToken = fragment.get('mfa_token');
  if (!mfaToken) return null;
  history.replaceState(history.state, '', location.pathname + location.search);
  const expiresIn = Number(fragment.get('expires_in')) || 300;
  return { mfaToken, expiresAt: Date.now() + expiresIn * 1000 };
}

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

  static properties = {
    ...FormPage.properties,
    pending: { state: true },
  };
  /** Set while the sign-in waits for its second factor. */
  declare pending: PendingSecondFactor | null;

  /** Ends the wait for a passkey picked from the email field's autofill. */
  private autofill: AbortController | null = null;

  constructor() {
    super();
    this.pending = null;
  }

  connectedCallback() {
    super.connectedCallback();
    this.pending = pendingFromFragment();
    if (!this.pending) void this.offerPasskeysInAutofill();
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    this.stopAutofill();
  }

  private stopAutofill() {
    this.autofill?.abort();
    this.autofill = null;
  }

  /** Let the browser list the user's passkeys under the email field: picking one signs in
   * (a passkey is both factors: no second step follows). Anything that goes wrong here stays
   * quiet; the button below says it out loud. */
  private async offerPasskeysInAutofill() {
    if (this.autofill || !(await autofillAvailable()) || !this.isConnected || this.pending) return;
    const controller = new AbortController();
    this.autofill = controller;
    try {
      await signInWithPasskey({ mediation: 'conditional', signal: controller.signal });
      this.signedIn();
    } catch (error) {
      if (controller.signal.aborted || wasDismissed(error) || !(error instanceof ApiError)) return;
      this.message = describeError(error);
    } finally {
      if (this.autofill === controller) this.autofill = null;
    }
  }

  private async passkeySignIn() {
    // One WebAuthn request at a time: the autofill one gives way to the button's.
    this.stopAutofill();
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
      this.signedIn();
    });
    if (this.isConnected) void this.offerPasskeysInAutofill();
  }

  private signedIn() {
    // A second step after another provider: where that sign-in was meant to lead.
    const next = this.query.get('next') ?? takeAfterProviderSignIn();
    navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/app', { replace: true });
  }

  private async onSubmit(event: SubmitEvent) {
    const { email, password } = this.values(event);
    await this.submit(async () => {
      let outcome;
      try {
        outcome = await signIn(email, password);
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          throw new ApiError({ ...error.problem, detail: 'That email and password do not match an account.' });
        }
        if (error instanceof ApiError && error.status === 403) {
          throw new ApiError({ ...error.problem, detail: 'This account has been deactivated. Contact support to restore it.' });
        }
        throw error;
      }
      if ('mfaToken' in outcome) {
        this.stopAutofill();
        this.pending = outcome;
        await this.updateComplete;
        this.renderRoot.querySelector<HTMLInputElement>('#code')?.focus();
        return;
      }
      this.signedIn();
    });
  }

  private async onCode(event: SubmitEvent) {
    const { code } = this.values(event);
    const pending = this.pending;
    if (!pending) return;
    await this.submit(async () => {
      try {
        await completeSecondFactor(pending, code);
      } catch (error) {
        if (error instanceof ApiError && error.status === 422) {
          const message = code.trim()
            ? 'That code is not right. Enter the code your app shows now, or an unused recovery code.'
            : 'Enter the code from your authenticator app, or a recovery code.';
          throw new ApiError({ ...error.problem, errors: [{ field: 'code', message }] });
        }
        if (error instanceof ApiError && error.status === 401) {
          this.pending = null;
          throw new ApiError({
            ...error.problem,
            detail: 'That sign-in expired or had too many wrong codes. Sign in again.',
          });
        }
        throw error;
      }
      this.signedIn();
    });
  }

  private startOver() {
    this.pending = null;
    this.errors = {};
    this.message = null;
    void this.offerPasskeysInAutofill();
  }

  private renderSecondStep() {
    return html`<div class="page narrow">
      <h1 tabindex="-1">Two-step verification</h1>
      ${formMessage(this.message)}
      <form @submit=${this.onCode} novalidate>
        ${field({
          id: 'code',
          label: 'Code',
          autocomplete: 'one-time-code',
          hint: 'Enter the 6-digit code from your authenticator app, or a recovery code.',
          error: this.errors.code,
        })}
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? 'Checking…' : 'Verify'}</button>
      </form>
      <p><button type="button" class="link" @click=${this.startOver}>Sign in with another account</button></p>
    </div>`;
  }

  render() {
    if (this.pending) return this.renderSecondStep();
    const reset = this.query.get('reset') === '1';
    const providerFailure = this.query.get('error');
    return html`<div class="page narrow">
      <h1 tabindex="-1">Sign in</h1>
      ${reset ? formMessage('Your password has been changed. Sign in with the new one.', 'success') : ''}
      ${providerFailure && !this.message ? formMessage(providerError(providerFailure)) : ''}
      ${formMessage(this.message)}
      <nf-provider-buttons></nf-provider-buttons>
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
