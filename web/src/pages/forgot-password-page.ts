import { html } from 'lit';
import { forgotPassword } from '../api/client';
import { field, formMessage } from '../styles/shared';
import { FormPage } from './form-page';

export class ForgotPasswordPage extends FormPage {
  static properties = { ...FormPage.properties, sentTo: { state: true } };
  declare sentTo: string | null;

  constructor() {
    super();
    this.sentTo = null;
  }

  private async onSubmit(event: SubmitEvent) {
    const { email } = this.values(event);
    await this.submit(async () => {
      await forgotPassword(email);
      this.sentTo = email;
    });
  }

  render() {
    return html`<div class="page narrow">
      <h1 tabindex="-1">Forgot your password?</h1>
      ${this.sentTo
        ? formMessage(
            `If an account exists for ${this.sentTo}, we have sent it a link to choose a new password. The link works once and expires soon.`,
            'success',
          )
        : html`<p>Enter the email you signed up with and we will send you a link to choose a new password.</p>`}
      ${formMessage(this.message)}
      <form @submit=${this.onSubmit} novalidate>
        ${field({ id: 'email', label: 'Email', type: 'email', autocomplete: 'email', error: this.errors.email })}
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? 'Sending…' : 'Send the link'}</button>
      </form>
      <p><a href="/login">Back to sign in</a></p>
    </div>`;
  }
}
customElements.define('forgot-password-page', ForgotPasswordPage);
