// The passkeys part of Settings → Sign-in methods: list the account's passkeys, add one
// (the browser makes it, with the device's screen lock), rename and delete. Every change
// needs a recent sign-in: withFreshSignIn asks the user to confirm it is them first.
import { css, html, nothing } from 'lit';
import * as api from '../api/client';
import { ApiError, describeError } from '../api/client';
import type { Passkey } from '../api/types';
import { ReauthCancelled, withFreshSignIn } from '../auth/reauth';
import { createPasskey, passkeysSupported, wasDismissed } from '../auth/webauthn';
import { toast } from '../components/nf-toaster';
import { dialogStyles, field, formMessage } from '../styles/shared';
import { FormPage } from './form-page';
import { settingsStyles } from './settings-page.styles';

const day = (iso: string) => html`<time datetime=${iso}>${new Date(iso).toLocaleDateString()}</time>`;
const moment = (iso: string) => html`<time datetime=${iso}>${new Date(iso).toLocaleString()}</time>`;

/** A name to start from: the kind of device this is. */
function suggestedName(): string {
  const agent = navigator.userAgent;
  if (/iPhone|Android.+Mobile/.test(agent)) return 'Phone';
  if (/iPad|Android/.test(agent)) return 'Tablet';
  if (/Mac OS X/.test(agent)) return 'Mac';
  if (/Windows/.test(agent)) return 'Windows computer';
  if (/Linux|CrOS/.test(agent)) return 'Computer';
  return 'Passkey';
}

export class SettingsPasskeys extends FormPage {
  static styles = [
    ...FormPage.styles,
    settingsStyles,
    dialogStyles,
    css`
      :host {
        display: block;
      }
      .passkey {
        min-width: 0;
        flex: 1 1 14rem;
      }
      .passkey-name {
        font-weight: 600;
        overflow-wrap: anywhere;
      }
      .actions {
        display: flex;
        gap: var(--nf-space-2);
      }
      form {
        margin-top: var(--nf-space-4);
      }
    `,
  ];

  static properties = {
    ...FormPage.properties,
    passkeys: { state: true },
    loadError: { state: true },
    renaming: { state: true },
    deleting: { state: true },
    renameError: { state: true },
  };
  declare passkeys: Passkey[] | null;
  declare loadError: string | null;
  /** The passkey whose rename dialog is open. */
  declare renaming: Passkey | null;
  /** The passkey whose deletion is being confirmed. */
  declare deleting: Passkey | null;
  declare renameError: string | null;

  /** The button that opened a dialog, to return to when it closes. */
  private opener: HTMLElement | null = null;

  constructor() {
    super();
    this.passkeys = null;
    this.loadError = null;
    this.renaming = null;
    this.deleting = null;
    this.renameError = null;
  }

  connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  private dialog(id: string) {
    return this.renderRoot.querySelector<HTMLDialogElement>(`#${id}`)!;
  }

  private async load() {
    try {
      this.passkeys = (await api.listPasskeys()).items;
      this.loadError = null;
    } catch (error) {
      this.loadError = `We could not load your passkeys. ${describeError(error)}`;
    }
  }

  private async add(event: SubmitEvent) {
    const form = event.target as HTMLFormElement;
    const { passkey_name } = this.values(event);
    await this.submit(
      async () => {
        try {
          const { ceremony_id, options } = await withFreshSignIn(() => api.startPasskeyRegistration());
          const credential = await createPasskey(options);
          const added = await api.addPasskey(ceremony_id, passkey_name.trim(), credential);
          form.reset();
          toast({ message: `Passkey “${added.name}” added. You can sign in with it now.` });
          await this.load();
        } catch (error) {
          if (error instanceof ReauthCancelled) return;
          if (!(error instanceof DOMException)) throw error;
          if (wasDismissed(error)) this.message = 'No passkey was added: the request was cancelled or timed out.';
          else if (error.name === 'InvalidStateError') this.message = 'This device already holds a passkey for your account.';
          else this.message = 'This browser could not make a passkey here.';
        }
      },
      { name: 'passkey_name' },
    );
  }

  private async openRename(passkey: Passkey, event: Event) {
    this.opener = event.currentTarget as HTMLElement;
    this.renaming = passkey;
    this.renameError = null;
    await this.updateComplete;
    this.dialog('rename').showModal();
  }

  private async rename(event: SubmitEvent) {
    event.preventDefault();
    const passkey = this.renaming;
    if (!passkey) return;
    const name = String(new FormData(event.target as HTMLFormElement).get('rename_name') ?? '').trim();
    try {
      await withFreshSignIn(() => api.renamePasskey(passkey.id, name));
      this.dialog('rename').close();
      toast({ message: `Passkey renamed “${name}”.` });
      await this.load();
    } catch (error) {
      if (error instanceof ReauthCancelled) return;
      this.renameError = error instanceof ApiError && error.fields.name ? error.fields.name : describeError(error);
    }
  }

  private onRenameClosed() {
    this.renaming = null;
    this.opener?.focus();
  }

  private async confirmDelete(passkey: Passkey, event: Event) {
    this.opener = event.currentTarget as HTMLElement;
    this.deleting = passkey;
    await this.updateComplete;
    this.dialog('delete-passkey').showModal();
  }

  private async onDeleteClosed() {
    const dialog = this.dialog('delete-passkey');
    const passkey = this.deleting;
    const confirmed = dialog.returnValue === 'delete';
    dialog.returnValue = '';
    this.deleting = null;
    if (!passkey || !confirmed) {
      this.opener?.focus();
      return;
    }
    try {
      await withFreshSignIn(() => api.deletePasskey(passkey.id));
      toast({ message: `Passkey “${passkey.name}” deleted. It no longer signs in here.` });
    } catch (error) {
      if (error instanceof ReauthCancelled) {
        this.opener?.focus();
        return;
      }
      if (!(error instanceof ApiError && error.status === 404)) {
        toast({ message: `Could not delete the passkey “${passkey.name}”. ${describeError(error)}` });
        this.opener?.focus();
        return;
      }
    }
    await this.load();
    this.renderRoot.querySelector<HTMLElement>('#passkeys-title')?.focus();
  }

  private renderPasskey(passkey: Passkey) {
    return html`<li>
      <div class="passkey">
        <div class="passkey-name">${passkey.name}</div>
        <div class="hint">
          Added ${day(passkey.created_at)} · ${passkey.last_used_at ? html`last used ${moment(passkey.last_used_at)}` : 'not used yet'}
        </div>
      </div>
      <div class="actions">
        <button type="button" @click=${(event: Event) => this.openRename(passkey, event)}>
          Rename<span class="visually-hidden"> ${passkey.name}</span>
        </button>
        <button type="button" @click=${(event: Event) => this.confirmDelete(passkey, event)}>
          Delete<span class="visually-hidden"> ${passkey.name}</span>
        </button>
      </div>
    </li>`;
  }

  private renderList() {
    if (this.loadError) return html`<p role="alert">${this.loadError}</p>`;
    if (!this.passkeys) return html`<p role="status">Loading your passkeys…</p>`;
    if (this.passkeys.length === 0) return html`<p>You have no passkeys yet.</p>`;
    return html`<ul class="rows" aria-label="Your passkeys">
      ${this.passkeys.map((passkey) => this.renderPasskey(passkey))}
    </ul>`;
  }

  private renderAddForm() {
    if (!passkeysSupported()) {
      return html`<p class="hint">This browser cannot make passkeys. Use a current browser to add one.</p>`;
    }
    return html`${formMessage(this.message)}
      <form @submit=${this.add} novalidate aria-label="Add a passkey">
        ${field({
          id: 'passkey_name',
          label: 'What to call it',
          value: suggestedName(),
          hint: 'Where it lives, such as “Phone” or “Work laptop”, so you can tell your passkeys apart (up to 100 characters).',
          error: this.errors.passkey_name,
        })}
        <p><button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? 'Adding…' : 'Add a passkey'}</button></p>
      </form>`;
  }

  private renderRenameDialog() {
    const passkey = this.renaming;
    return html`<dialog id="rename" aria-labelledby="rename-title" @close=${this.onRenameClosed}>
      ${passkey
        ? html`<h2 id="rename-title">Rename the passkey “${passkey.name}”</h2>
            <form @submit=${this.rename} novalidate>
              ${field({ id: 'rename_name', label: 'New name', value: passkey.name, error: this.renameError ?? undefined })}
              <div class="row">
                <button class="primary" type="submit">Save</button>
                <button type="button" @click=${() => this.dialog('rename').close()}>Cancel</button>
              </div>
            </form>`
        : nothing}
    </dialog>`;
  }

  private renderDeleteDialog() {
    const passkey = this.deleting;
    return html`<dialog id="delete-passkey" aria-labelledby="delete-passkey-title" aria-describedby="delete-passkey-description" @close=${this.onDeleteClosed}>
      ${passkey
        ? html`<h2 id="delete-passkey-title">Delete the passkey “${passkey.name}”?</h2>
            <p id="delete-passkey-description">
              It will no longer sign in to your account. You can also remove it from the device, in its passkey
              settings.
            </p>
            <div class="row">
              <button type="button" autofocus @click=${() => this.dialog('delete-passkey').close()}>Cancel</button>
              <button class="danger" type="button" @click=${() => this.dialog('delete-passkey').close('delete')}>Delete passkey</button>
            </div>`
        : nothing}
    </dialog>`;
  }

  render() {
    return html`<h3 id="passkeys-title" tabindex="-1">Passkeys</h3>
      <p class="muted">
        Sign in with your fingerprint, face or device PIN instead of a password. A passkey stays on your device (or
        your password manager) and works only on this site.
      </p>
      ${this.renderList()} ${this.renderAddForm()}
      ${this.renderRenameDialog()} ${this.renderDeleteDialog()}`;
  }
}
customElements.define('settings-passkeys', SettingsPasskeys);
