// The "Two-factor authentication" part of Sign-in methods: set up an authenticator app (its
// QR code, drawn by the server, or its key typed by hand; then its first code), show the
// recovery codes once (copy or download), renew them, or turn the whole thing off with the
// password. The secret and the codes live only in this component while they are shown.
import { css, html, nothing } from 'lit';
import * as api from '../api/client';
import type { TotpEnrolment } from '../api/types';
import { updateUser } from '../auth/session';
import { withFreshSignIn } from '../auth/reauth';
import '../components/nf-copyable';
import { toast } from '../components/nf-toaster';
import { field, formMessage } from '../styles/shared';
import { FormPage } from './form-page';
import { settingsStyles } from './settings-page.styles';

type Step = 'idle' | 'enrolling' | 'codes' | 'disabling';

/** The key as people type it: groups of four. */
const grouped = (secret: string) => secret.replace(/(.{4})(?=.)/g, '$1 ');

export class SettingsTwoFactor extends FormPage {
  static styles = [
    ...FormPage.styles,
    settingsStyles,
    css`
      h3 {
        margin-top: 0;
      }
      h4 {
        font-size: var(--nf-text-md);
        margin: var(--nf-space-4) 0 var(--nf-space-3);
      }
      .qr {
        display: block;
        width: 12rem;
        height: 12rem;
        margin: 0 0 var(--nf-space-3);
        background: #fff;
        border: 1px solid var(--nf-border);
        border-radius: var(--nf-radius);
      }
      .secret {
        font-family: var(--nf-font-mono);
        font-size: var(--nf-text-md);
        letter-spacing: 0.05em;
        overflow-wrap: anywhere;
      }
      ol.codes {
        columns: 2 12rem;
        margin: 0 0 var(--nf-space-3);
        padding-left: var(--nf-space-5);
        font-family: var(--nf-font-mono);
      }
      .status {
        font-weight: 600;
      }
    `,
  ];

  static properties = {
    ...FormPage.properties,
    step: { state: true },
    enrolment: { state: true },
    codes: { state: true },
  };
  declare step: Step;
  /** The set-up in progress: its secret, URI and QR code. */
  declare enrolment: TotpEnrolment | null;
  /** Recovery codes just issued, shown until the user says they have them. */
  declare codes: string[] | null;

  constructor() {
    super();
    this.step = 'idle';
    this.enrolment = null;
    this.codes = null;
  }

  private async refreshUser() {
    try {
      updateUser(await api.me());
    } catch {
      /* the page shows the last known state; the next load corrects it */
    }
  }

  private async focusOn(selector: string) {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>(selector)?.focus();
  }

  private async start() {
    await this.submit(async () => {
      this.enrolment = await withFreshSignIn(() => api.startTotp());
      this.step = 'enrolling';
      await this.focusOn('#totp-setup-title');
    });
  }

  private async confirm(event: SubmitEvent) {
    const { totp_code } = this.values(event);
    await this.submit(
      async () => {
        const { recovery_codes } = await api.confirmTotp(totp_code.trim());
        this.enrolment = null;
        this.codes = recovery_codes;
        this.step = 'codes';
        await this.refreshUser();
        await this.focusOn('#recovery-title');
      },
      { code: 'totp_code' },
    );
  }

  private async regenerate() {
    await this.submit(async () => {
      const { recovery_codes } = await withFreshSignIn(() => api.regenerateRecoveryCodes());
      this.codes = recovery_codes;
      this.step = 'codes';
      await this.refreshUser();
      await this.focusOn('#recovery-title');
    });
  }

  private async disable(event: SubmitEvent) {
    const { totp_password = '' } = this.values(event);
    await this.submit(
      async () => {
        await withFreshSignIn(() => api.disableTotp(totp_password));
        this.step = 'idle';
        await this.refreshUser();
        toast({ message: 'Two-factor authentication is off.' });
        await this.focusOn('#two-factor-title');
      },
      { password: 'totp_password' },
    );
  }

  private cancel() {
    this.step = 'idle';
    this.enrolment = null;
    this.errors = {};
    this.message = null;
    void this.focusOn('#two-factor-title');
  }

  private doneWithCodes() {
    this.codes = null;
    this.step = 'idle';
    void this.focusOn('#two-factor-title');
  }

  private download() {
    const text = `NeoForge recovery codes\nEach code signs you in once, without your authenticator app.\n\n${(this.codes ?? []).join('\n')}\n`;
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    link.download = 'neoforge-recovery-codes.txt';
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 0);
  }

  private renderEnrolment(enrolment: TotpEnrolment) {
    const qr = `data:image/svg+xml,${encodeURIComponent(enrolment.qr_svg)}`;
    return html`<h4 id="totp-setup-title" tabindex="-1">Set up your authenticator app</h4>
      <p>Scan this code with an authenticator app (such as 2FAS, Aegis, Google Authenticator or 1Password).</p>
      <img class="qr" src=${qr} alt="QR code for setting up your authenticator app" />
      <p>Can’t scan it? Enter this key in the app instead:</p>
      <p class="secret" id="totp-secret" data-secret=${enrolment.secret}>${grouped(enrolment.secret)}</p>
      ${formMessage(this.message)}
      <form @submit=${this.confirm} novalidate>
        ${field({
          id: 'totp_code',
          label: 'Code from the app',
          autocomplete: 'one-time-code',
          hint: 'Enter the 6-digit code the app shows now.',
          error: this.errors.totp_code,
        })}
        <div class="row">
          <button class="primary" type="submit" ?disabled=${this.busy}>Turn on</button>
          <button type="button" @click=${this.cancel}>Cancel</button>
        </div>
      </form>`;
  }

  private renderCodes(codes: string[]) {
    return html`<h4 id="recovery-title" tabindex="-1">Your recovery codes</h4>
      <p class="warning">Save these codes somewhere safe now: they are shown only this once. Each one signs you in
        once if you lose your authenticator app.</p>
      <ol class="codes" aria-label="Recovery codes">
        ${codes.map((code) => html`<li><code>${code}</code></li>`)}
      </ol>
      <nf-copyable .text=${codes.join('\n')} what="the recovery codes"></nf-copyable>
      <div class="row">
        <button type="button" @click=${this.download}>Download</button>
        <button class="primary" type="button" @click=${this.doneWithCodes}>I have saved them</button>
      </div>`;
  }

  private renderDisable(hasPassword: boolean) {
    return html`${formMessage(this.message)}
      <form @submit=${this.disable} novalidate>
        ${hasPassword
          ? field({
              id: 'totp_password',
              label: 'Your password, to confirm',
              type: 'password',
              autocomplete: 'current-password',
              error: this.errors.totp_password,
            })
          : html`<p>You will be asked to sign in again to confirm it is you.</p>`}
        <div class="row">
          <button class="danger" type="submit" ?disabled=${this.busy}>Turn off two-factor authentication</button>
          <button type="button" @click=${this.cancel}>Cancel</button>
        </div>
      </form>`;
  }

  render() {
    const user = this.session.status === 'signed-in' ? this.session.user : null;
    if (!user) return nothing;
    const heading = html`<h3 id="two-factor-title" tabindex="-1">Two-factor authentication</h3>`;
    if (this.step === 'codes' && this.codes) return html`${heading}${this.renderCodes(this.codes)}`;
    if (this.step === 'enrolling' && this.enrolment) return html`${heading}${this.renderEnrolment(this.enrolment)}`;
    if (!user.mfa_enabled) {
      return html`${heading}
        <p>Off. Turn it on to also ask for a code from an authenticator app on your phone when you sign in.</p>
        ${formMessage(this.message)}
        <p><button type="button" @click=${this.start} ?disabled=${this.busy}>Turn on two-factor authentication</button></p>`;
    }
    const left = user.recovery_codes_remaining;
    return html`${heading}
      <p><span class="status">On.</span> Signing in asks for a code from your authenticator app.
        ${left === 1 ? '1 recovery code is' : `${left} recovery codes are`} left${left <= 3 ? ': make new ones soon.' : '.'}</p>
      ${this.step === 'disabling'
        ? this.renderDisable(user.has_password)
        : html`${formMessage(this.message)}
            <div class="row">
              <button type="button" @click=${this.regenerate} ?disabled=${this.busy}>New recovery codes</button>
              <button type="button" @click=${() => {
                this.step = 'disabling';
                void this.focusOn('#totp_password');
              }}>Turn off</button>
            </div>`}`;
  }
}
customElements.define('settings-two-factor', SettingsTwoFactor);
