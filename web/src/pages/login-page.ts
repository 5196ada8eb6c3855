import { html } from 'lit';
import { ApiError } from '../api/client';
import { signIn } from '../auth/session';
import { navigate } from '../router';
import '../components/nf-provider-buttons';
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

export class LoginPage extends FormPage {
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
      const next = this.query.get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/app', { replace: true });
    });
  }

  render() {
    const reset = this.query.get('reset') === '1';
    const providerFailure = this.query.get('error');
    return html`<div class="page narrow">
      <h1 tabindex="-1">Sign in</h1>
      ${reset ? formMessage('Your password has been changed. Sign in with the new one.', 'success') : ''}
      ${providerFailure && !this.message ? formMessage(providerError(providerFailure)) : ''}
      ${formMessage(this.message)}
      <nf-provider-buttons></nf-provider-buttons>
      <form @submit=${this.onSubmit} novalidate>
        ${field({ id: 'email', label: 'Email', type: 'email', autocomplete: 'email', error: this.errors.email })}
        ${field({ id: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', error: this.errors.password })}
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
      <p><a href="/forgot-password">Forgot your password?</a></p>
      <p>New here? <a href="/register">Create an account</a></p>
    </div>`;
  }
}
customElements.define('login-page', LoginPage);
