import { html } from 'lit';
import { ApiError, describeError, me, resendVerification, verifyEmail } from '../api/client';
import { updateUser } from '../auth/session';
import { formMessage } from '../styles/shared';
import { FormPage } from './form-page';

type Outcome = 'verifying' | 'verified' | 'failed';

export class VerifyEmailPage extends FormPage {
  static properties = { ...FormPage.properties, outcome: { state: true } };
  declare outcome: Outcome;
  private tried: string | null = null;

  constructor() {
    super();
    this.outcome = 'verifying';
  }

  protected willUpdate() {
    const token = this.query.get('token') ?? '';
    if (token !== this.tried) {
      this.tried = token;
      void this.verify(token);
    }
  }

  private async verify(token: string) {
    this.outcome = 'verifying';
    if (!token) {
      this.outcome = 'failed';
      this.message = 'This link has no token. Open the link from the email again.';
      return;
    }
    try {
      await verifyEmail(token);
      this.outcome = 'verified';
    } catch (error) {
      this.outcome = 'failed';
      this.message =
        error instanceof ApiError && error.status < 500 && error.status !== 429
          ? 'This link has expired or was already used.'
          : describeError(error);
    }
    // Signed in here too: the "confirm your address" banner goes away at once.
    if (this.outcome === 'verified' && this.session.status === 'signed-in') {
      me().then(updateUser, () => undefined);
    }
  }

  private async resend() {
    await this.submit(async () => {
      await resendVerification();
      this.message = 'We sent you a new link. It may take a minute to arrive.';
    });
  }

  render() {
    const signedIn = this.session.status === 'signed-in';
    return html`<div class="page narrow">
      ${this.outcome === 'verifying'
        ? html`<h1 tabindex="-1">Verifying your email…</h1><p role="status">One moment.</p>`
        : this.outcome === 'verified'
          ? html`<h1 tabindex="-1">Your email is verified</h1>
              ${formMessage('Thank you: your address is confirmed.', 'success')}
              <p><a class="button primary" href=${signedIn ? '/app' : '/login'}>${signedIn ? 'Go to your todos' : 'Sign in'}</a></p>`
          : html`<h1 tabindex="-1">We could not verify your email</h1>
              ${formMessage(this.message)}
              ${signedIn
                ? html`<p><button class="primary" @click=${this.resend} ?disabled=${this.busy}>Send a new link</button></p>`
                : html`<p>Sign in to ask for a new link.</p><p><a class="button primary" href="/login">Sign in</a></p>`}`}
    </div>`;
  }
}
customElements.define('verify-email-page', VerifyEmailPage);
