// Sign-up: the new account is signed in at once and lands in the app, where a banner asks to
// confirm the address. Only if that sign-in fails does the page say to check the inbox.
import { html } from 'lit';
import { ApiError, register } from '../api/client';
import { signIn } from '../auth/session';
import '../components/nf-provider-buttons';
import { toast } from '../components/nf-toaster';
import { navigate } from '../router';
import { field, formMessage } from '../styles/shared';
import { FormPage } from './form-page';

export class RegisterPage extends FormPage {
  static properties = { ...FormPage.properties, registered: { state: true } };
  declare registered: string | null;

  constructor() {
    super();
    this.registered = null;
  }

  private async onSubmit(event: SubmitEvent) {
    const { name, email, password } = this.values(event);
    await this.submit(async () => {
      try {
        const user = await register({ email, password, ...(name.trim() ? { name: name.trim() } : {}) });
        try {
          await signIn(email, password);
        } catch {
          // Created, but not signed in (rate limited, offline): they can sign in themselves.
          this.registered = user.email;
          return;
        }
        toast({ message: 'Welcome! Your account is ready.' });
        navigate('/app', { replace: true });
      } catch (error) {
        if (error instanceof ApiError && error.status === 409) {
          this.errors = { email: 'An account with this email already exists. Sign in instead, or reset your password.' };
          return;
        }
        throw error;
      }
    });
    if (this.registered) {
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('h1')?.focus();
    }
  }

  render() {
    if (this.registered) {
      return html`<div class="page narrow">
        <h1 tabindex="-1">Check your inbox</h1>
        <p>
          We sent a link to <strong class="email">${this.registered}</strong>. Open it to confirm your address, then sign in.
        </p>
        <p><a class="button primary" href="/login">Sign in</a></p>
      </div>`;
    }
    return html`<div class="page narrow">
      <h1 tabindex="-1">Create your account</h1>
      ${formMessage(this.message)}
      <nf-provider-buttons></nf-provider-buttons>
      <form @submit=${this.onSubmit} novalidate>
        ${field({ id: 'name', label: 'Name', autocomplete: 'name', required: false, hint: 'Optional: how we greet you.', error: this.errors.name })}
        ${field({ id: 'email', label: 'Email', type: 'email', autocomplete: 'email', error: this.errors.email })}
        ${field({
          id: 'password',
          label: 'Password',
          type: 'password',
          autocomplete: 'new-password',
          hint: 'At least 10 characters.',
          error: this.errors.password,
        })}
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? 'Creating your account…' : 'Create account'}</button>
      </form>
      <p>Already have an account? <a href="/login">Sign in</a></p>
    </div>`;
  }
}
customElements.define('register-page', RegisterPage);
