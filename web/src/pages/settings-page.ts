// Settings: profile name, sign-in methods (password; linked accounts, two-factor and passkeys
// as their own components), sessions (with revoke), API keys and MCP, theme, account deletion.
import { css, html, nothing } from 'lit';
import * as api from '../api/client';
import { describeError } from '../api/client';
import type { Session } from '../api/types';
import { withFreshSignIn } from '../auth/reauth';
import { forget, updateUser } from '../auth/session';
import { toast } from '../components/nf-toaster';
import { navigate } from '../router';
import { field, formMessage } from '../styles/shared';
import { type Theme, getTheme, setTheme } from '../theme';
import { FormPage } from './form-page';
import './settings-api-keys';
import './settings-linked-accounts';
import './settings-two-factor';
import './settings-passkeys';
import { settingsStyles } from './settings-page.styles';

type Section = 'profile' | 'password' | 'delete';

/** "Chrome on Linux" when the server could read the browser's agent; else the raw agent. */
const deviceName = (session: Session) => session.device || session.user_agent || 'Unknown device';

export class SettingsPage extends FormPage {
  static styles = [
    ...FormPage.styles,
    settingsStyles,
    css`
      .agent {
        overflow-wrap: anywhere;
      }
      .danger-zone {
        border-color: var(--nf-danger);
      }
      .method + .method {
        margin-top: var(--nf-space-5);
        padding-top: var(--nf-space-5);
        border-top: 1px solid var(--nf-border);
      }
    `,
  ];

  static properties = {
    ...FormPage.properties,
    section: { state: true },
    sessions: { state: true },
    sessionsError: { state: true },
    theme: { state: true },
    done: { state: true },
  };
  /** The form whose errors and message are showing. */
  declare section: Section | null;
  declare sessions: Session[] | null;
  declare sessionsError: string | null;
  declare theme: Theme;
  declare done: string | null;

  constructor() {
    super();
    this.section = null;
    this.sessions = null;
    this.sessionsError = null;
    this.theme = getTheme();
    this.done = null;
  }

  connectedCallback() {
    super.connectedCallback();
    void this.loadSessions();
  }

  private async loadSessions() {
    try {
      this.sessions = (await api.listSessions()).items;
      this.sessionsError = null;
    } catch (error) {
      this.sessionsError = `We could not load your sessions. ${describeError(error)}`;
    }
  }

  private run(section: Section, task: () => Promise<void>, fields: Record<string, string> = {}) {
    this.section = section;
    this.done = null;
    return this.submit(task, fields);
  }

  private async saveProfile(event: SubmitEvent) {
    const { name } = this.values(event);
    await this.run('profile', async () => {
      updateUser(await api.updateMe({ name: name.trim() || null }));
      this.done = 'Your name is saved.';
    });
  }

  private async resendVerification() {
    await this.run('profile', async () => {
      await api.resendVerification();
      this.done = 'We sent a new verification link. It may take a minute to arrive.';
    });
  }

  private async changePassword(event: SubmitEvent) {
    const form = event.target as HTMLFormElement;
    // An account without a password has none to type: a recent sign-in confirms instead.
    const { current_password = '', new_password } = this.values(event);
    await this.run('password', async () => {
      await withFreshSignIn(() => api.changePassword(current_password, new_password));
      form.reset();
      const hadPassword = this.session.status === 'signed-in' && this.session.user.has_password;
      updateUser(await api.me());
      this.done = hadPassword
        ? 'Your password is changed. Your other sessions have been signed out.'
        : 'Your password is set. You can now also sign in with your email address and this password.';
      void this.loadSessions();
    });
  }

  private async revoke(session: Session) {
    try {
      await api.revokeSession(session.id);
      toast({ message: session.current ? 'This session is signed out.' : 'That session is signed out.' });
      if (session.current) {
        await forget();
        navigate('/login');
        return;
      }
      await this.loadSessions();
      this.renderRoot.querySelector<HTMLElement>('#sessions-title')?.focus();
    } catch (error) {
      toast({ message: `Could not sign that session out. ${describeError(error)}` });
    }
  }

  private chooseTheme(theme: Theme) {
    this.theme = theme;
    setTheme(theme);
  }

  private async deleteAccount(event: SubmitEvent) {
    const { delete_password = '' } = this.values(event);
    await this.run(
      'delete',
      async () => {
        await withFreshSignIn(() => api.deleteAccount(delete_password));
        await forget();
        toast({ message: 'Your account and all its data are deleted.' });
        window.location.assign('/');
      },
      { password: 'delete_password' },
    );
  }

  private messages(section: Section) {
    if (this.section !== section) return nothing;
    return html`${formMessage(this.message)}${formMessage(this.done, 'success')}`;
  }

  private err(section: Section, name: string) {
    return this.section === section ? this.errors[name] : undefined;
  }

  private renderSessions() {
    if (this.sessionsError) return html`<p role="alert">${this.sessionsError}</p>`;
    if (!this.sessions) return html`<p role="status">Loading sessions…</p>`;
    return html`<ul class="rows">
      ${this.sessions.map(
        (s) => html`<li>
          <div>
            <div class="agent" title=${s.user_agent ?? nothing}>${deviceName(s)}${s.current ? html` <strong>(this device)</strong>` : nothing}</div>
            <div class="hint">
              Signed in ${new Date(s.created_at).toLocaleString()}${s.last_used_at
                ? html`, last active ${new Date(s.last_used_at).toLocaleString()}`
                : nothing}
            </div>
          </div>
          <button @click=${() => this.revoke(s)}>Sign out<span class="visually-hidden"> ${deviceName(s)}</span></button>
        </li>`,
      )}
    </ul>`;
  }

  render() {
    const user = this.session.status === 'signed-in' ? this.session.user : null;
    if (!user) return nothing;
    const themes: { value: Theme; label: string }[] = [
      { value: 'system', label: 'Same as my device' },
      { value: 'light', label: 'Light' },
      { value: 'dark', label: 'Dark' },
    ];
    return html`<div class="page">
      <h1 tabindex="-1">Settings</h1>

      <section class="card" aria-labelledby="profile-title">
        <h2 id="profile-title">Profile</h2>
        <p class="muted">Signed in as <strong class="email">${user.email}</strong>${user.email_verified ? '' : ' (not verified yet)'}.</p>
        ${this.messages('profile')}
        ${user.email_verified
          ? nothing
          : html`<p><button type="button" @click=${this.resendVerification} ?disabled=${this.busy}>Send a new verification link</button></p>`}
        <form @submit=${this.saveProfile} novalidate>
          ${field({ id: 'name', label: 'Name', value: user.name ?? '', autocomplete: 'name', required: false, error: this.err('profile', 'name') })}
          <p><button class="primary" type="submit" ?disabled=${this.busy}>Save name</button></p>
        </form>
      </section>

      <section class="card" id="sign-in-methods" aria-labelledby="sign-in-methods-title">
        <h2 id="sign-in-methods-title">Sign-in methods</h2>
        <p class="muted">How you prove it is you. Changes here ask for your password (or a recent sign-in) first.</p>
        <div class="method" aria-labelledby="password-title">
          <h3 id="password-title">Password</h3>
          ${user.has_password
            ? nothing
            : html`<p class="hint">Your account has no password yet: you sign in another way. Set one to sign in with your email address too.</p>`}
          ${this.messages('password')}
          <form @submit=${this.changePassword} novalidate>
            ${user.has_password
              ? field({ id: 'current_password', label: 'Current password', type: 'password', autocomplete: 'current-password', error: this.err('password', 'current_password') })
              : nothing}
            ${field({
              id: 'new_password',
              label: 'New password',
              type: 'password',
              autocomplete: 'new-password',
              hint: 'At least 10 characters.',
              error: this.err('password', 'new_password'),
            })}
            <p><button class="primary" type="submit" ?disabled=${this.busy}>${user.has_password ? 'Change password' : 'Set password'}</button></p>
          </form>
        </div>
        <settings-linked-accounts class="method"></settings-linked-accounts>
        <settings-two-factor class="method"></settings-two-factor>
        <settings-passkeys class="method"></settings-passkeys>
      </section>

      <section class="card" aria-labelledby="sessions-title">
        <h2 id="sessions-title" tabindex="-1">Where you are signed in</h2>
        ${this.renderSessions()}
      </section>

      <settings-api-keys></settings-api-keys>

      <section class="card" aria-labelledby="theme-title">
        <h2 id="theme-title">Appearance</h2>
        <fieldset>
          <legend>Theme</legend>
          <div class="choices">
            ${themes.map(
              ({ value, label }) => html`<label>
                <input type="radio" name="theme" .value=${value} .checked=${this.theme === value} @change=${() => this.chooseTheme(value)} />
                ${label}
              </label>`,
            )}
          </div>
        </fieldset>
      </section>

      <section class="card danger-zone" aria-labelledby="delete-title">
        <h2 id="delete-title">Delete your account</h2>
        <p>This deletes your account and every todo in it, at once and for good.</p>
        ${this.messages('delete')}
        <form @submit=${this.deleteAccount} novalidate>
          ${user.has_password
            ? field({
                id: 'delete_password',
                label: 'Your password, to confirm',
                type: 'password',
                autocomplete: 'current-password',
                error: this.err('delete', 'delete_password'),
              })
            : nothing}
          <p><button class="danger" type="submit" ?disabled=${this.busy}>Delete my account</button></p>
        </form>
      </section>
    </div>`;
  }
}
customElements.define('settings-page', SettingsPage);
