import { html } from 'lit';
import { ApiError } from '../api/client';
import { signIn } from '../auth/session';
import { navigate } from '../router';
import { field, formMessage } from '../styles/shared';
import { FormPage } from './form-page';

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
    return html`<div class="page narrow">
      <h1 tabindex="-1">Sign in</h1>
      ${reset ? formMessage('Your password has been changed. Sign in with the new one.', 'success') : ''}
      ${formMessage(this.message)}
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
