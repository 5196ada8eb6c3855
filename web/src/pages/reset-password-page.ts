import { html } from 'lit';
import { ApiError, resetPassword } from '../api/client';
import { navigate } from '../router';
import { field, formMessage } from '../styles/shared';
import { FormPage } from './form-page';

export class ResetPasswordPage extends FormPage {
  private async onSubmit(event: SubmitEvent) {
    const { new_password, confirm } = this.values(event);
    if (new_password !== confirm) {
      this.errors = { confirm: 'The two passwords are not the same.' };
      return;
    }
    await this.submit(async () => {
      try {
        await resetPassword(this.query.get('token') ?? '', new_password);
      } catch (error) {
        if (error instanceof ApiError && error.status !== 422 && error.status < 500 && error.status !== 429) {
          throw new ApiError({ ...error.problem, detail: 'This link has expired or was already used. Ask for a new one.' });
        }
        throw error;
      }
      navigate('/login?reset=1', { replace: true });
    });
  }

  render() {
    if (!this.query.get('token')) {
      return html`<div class="page narrow">
        <h1 tabindex="-1">Choose a new password</h1>
        ${formMessage('This link has no token. Open the link from the email again, or ask for a new one.')}
        <p><a href="/forgot-password">Ask for a new link</a></p>
      </div>`;
    }
    return html`<div class="page narrow">
      <h1 tabindex="-1">Choose a new password</h1>
      ${formMessage(this.message)}
      <form @submit=${this.onSubmit} novalidate>
        ${field({
          id: 'new_password',
          label: 'New password',
          type: 'password',
          autocomplete: 'new-password',
          hint: 'At least 10 characters.',
          error: this.errors.new_password,
        })}
        ${field({ id: 'confirm', label: 'Repeat the new password', type: 'password', autocomplete: 'new-password', error: this.errors.confirm })}
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? 'Saving…' : 'Save the new password'}</button>
      </form>
      <p><a href="/forgot-password">Ask for a new link</a></p>
    </div>`;
  }
}
customElements.define('reset-password-page', ResetPasswordPage);
