// The settings sections for personal API keys (list, create, revoke) and for connecting an
// AI assistant over MCP. A new key's secret lives only while its copy-once dialog is open:
// it is dropped when the dialog closes, and never written to any storage.
import { html, nothing } from 'lit';
import * as api from '../api/client';
import { ApiError, describeError } from '../api/client';
import type { ApiKey, ApiKeyScope, CreateApiKey, CreatedApiKey } from '../api/types';
import { withFreshSignIn } from '../auth/reauth';
import '../components/nf-copyable';
import { toast } from '../components/nf-toaster';
import { dialogStyles, field, formMessage } from '../styles/shared';
import { FormPage } from './form-page';
import { apiKeysStyles, settingsStyles } from './settings-page.styles';

const PAGE_SIZE = 100;

const SCOPES: { value: ApiKeyScope; label: string }[] = [
  { value: 'todos:read', label: 'Read todos' },
  { value: 'todos:write', label: 'Change todos' },
];
const scopeLabel = (scope: ApiKeyScope) => SCOPES.find((s) => s.value === scope)?.label ?? scope;

const EXPIRY: { days: string; label: string }[] = [
  { days: '30', label: 'In 30 days' },
  { days: '90', label: 'In 90 days' },
  { days: '365', label: 'In a year' },
  { days: '', label: 'Never' },
];

/** Stands in for a key in the configuration shown before any key is created. */
const KEY_PLACEHOLDER = 'YOUR_API_KEY';

/** The client configuration in the `mcpServers` shape most MCP clients read. */
function mcpConfig(key: string): string {
  const server = { type: 'http', url: `${location.origin}/mcp`, headers: { Authorization: `Bearer ${key}` } };
  return JSON.stringify({ mcpServers: { neoforge: server } }, null, 2);
}

const isExpired = (key: ApiKey) => !!key.expires_at && Date.parse(key.expires_at) <= Date.now();
const day = (iso: string) => html`<time datetime=${iso}>${new Date(iso).toLocaleDateString()}</time>`;
const moment = (iso: string) => html`<time datetime=${iso}>${new Date(iso).toLocaleString()}</time>`;
/** The prefix, marked as the start of something longer. */
const shortKey = (prefix: string) => `${prefix}…`;

export class SettingsApiKeys extends FormPage {
  static styles = [
    ...FormPage.styles,
    settingsStyles,
    dialogStyles,
    apiKeysStyles,
  ];

  static properties = {
    ...FormPage.properties,
    keys: { state: true },
    total: { state: true },
    keysError: { state: true },
    created: { state: true },
    revoking: { state: true },
  };
  declare keys: ApiKey[] | null;
  declare total: number;
  declare keysError: string | null;
  /** The key just created, secret included, while its copy-once dialog is open. */
  declare created: CreatedApiKey | null;
  /** The key whose revocation is being confirmed. */
  declare revoking: ApiKey | null;

  /** The Revoke button that opened the confirmation, to return to when it is cancelled. */
  private opener: HTMLElement | null = null;

  constructor() {
    super();
    this.keys = null;
    this.total = 0;
    this.keysError = null;
    this.created = null;
    this.revoking = null;
  }

  connectedCallback() {
    super.connectedCallback();
    void this.loadKeys();
  }

  private dialog(id: string) {
    return this.renderRoot.querySelector<HTMLDialogElement>(`#${id}`)!;
  }

  private focusTitle() {
    this.renderRoot.querySelector<HTMLElement>('#keys-title')?.focus();
  }

  private async loadKeys(more = false) {
    try {
      const page = await api.listApiKeys(PAGE_SIZE, more ? (this.keys?.length ?? 0) : 0);
      this.keys = more ? [...(this.keys ?? []), ...page.items] : page.items;
      this.total = page.total;
      this.keysError = null;
    } catch (error) {
      this.keysError = `We could not load your API keys. ${describeError(error)}`;
    }
  }

  private async create(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const body: CreateApiKey = {
      name: String(data.get('name') ?? '').trim(),
      scopes: data.getAll('scopes').map(String) as ApiKeyScope[],
    };
    const days = String(data.get('expires_in_days') ?? '');
    if (days) body.expires_in_days = Number(days);
    await this.submit(async () => {
      this.created = await withFreshSignIn(() => api.createApiKey(body));
      form.reset();
      await this.updateComplete;
      this.dialog('created').showModal();
      this.renderRoot.querySelector<HTMLElement>('#created nf-copyable')?.focus();
      void this.loadKeys();
    });
  }

  private closeCreated() {
    this.created = null;
    this.focusTitle();
  }

  private async confirmRevoke(key: ApiKey, event: Event) {
    this.opener = event.currentTarget as HTMLElement;
    this.revoking = key;
    await this.updateComplete;
    this.dialog('revoke').showModal();
  }

  private async onRevokeClosed() {
    const dialog = this.dialog('revoke');
    const key = this.revoking;
    const confirmed = dialog.returnValue === 'revoke';
    dialog.returnValue = '';
    this.revoking = null;
    if (!key || !confirmed) {
      this.opener?.focus();
      return;
    }
    try {
      await api.revokeApiKey(key.id);
      toast({ message: `The key “${key.name}” is revoked.` });
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) {
        toast({ message: `Could not revoke the key “${key.name}”. ${describeError(error)}` });
        this.opener?.focus();
        return;
      }
      toast({ message: `The key “${key.name}” was already revoked.` });
    }
    await this.loadKeys();
    this.focusTitle();
  }

  private renderKey(key: ApiKey) {
    const expired = isExpired(key);
    return html`<li>
      <div class="key">
        <div class="key-name">${key.name}${expired ? html`<span class="badge">Expired</span>` : nothing}</div>
        <dl>
          <div><dt>Key</dt><dd><code>${shortKey(key.prefix)}</code></dd></div>
          <div><dt>Can</dt><dd>${key.scopes.map(scopeLabel).join(', ')}</dd></div>
          <div><dt>Created</dt><dd>${day(key.created_at)}</dd></div>
          <div><dt>Last used</dt><dd>${key.last_used_at ? moment(key.last_used_at) : 'Never'}</dd></div>
          <div><dt>${expired ? 'Expired' : 'Expires'}</dt><dd>${key.expires_at ? day(key.expires_at) : 'Never'}</dd></div>
        </dl>
      </div>
      <button type="button" @click=${(event: Event) => this.confirmRevoke(key, event)}>
        Revoke<span class="visually-hidden"> ${key.name}</span>
      </button>
    </li>`;
  }

  private renderKeys() {
    if (this.keysError) return html`<p role="alert">${this.keysError}</p>`;
    if (!this.keys) return html`<p role="status">Loading your API keys…</p>`;
    if (this.keys.length === 0) return html`<p>You have no API keys yet.</p>`;
    return html`<ul class="rows" aria-label="Your API keys">
        ${this.keys.map((key) => this.renderKey(key))}
      </ul>
      ${this.keys.length < this.total
        ? html`<p><button type="button" @click=${() => this.loadKeys(true)}>Show more keys</button></p>`
        : nothing}`;
  }

  private renderCreateForm() {
    const scopesError = this.errors.scopes;
    const expiryError = this.errors.expires_in_days;
    return html`<h3 id="create-title">Create a key</h3>
      ${formMessage(this.message)}
      <form @submit=${this.create} novalidate aria-labelledby="create-title">
        ${field({
          id: 'name',
          label: 'What is this key for?',
          hint: 'A name you will recognise, such as “Assistant on my laptop” (up to 100 characters).',
          error: this.errors.name,
        })}
        <fieldset aria-describedby=${scopesError ? 'scopes-error' : nothing}>
          <legend>What it may do</legend>
          <div class="choices">
            ${SCOPES.map(
              ({ value, label }, index) => html`<label>
                <input
                  type="checkbox"
                  name="scopes"
                  .value=${value}
                  ?checked=${value === 'todos:read'}
                  aria-invalid=${scopesError && index === 0 ? 'true' : 'false'}
                />
                ${label}
              </label>`,
            )}
          </div>
          ${scopesError ? html`<p class="error" id="scopes-error">${scopesError}</p>` : nothing}
        </fieldset>
        <div class="field">
          <label for="expires_in_days">Expires</label>
          <select
            id="expires_in_days"
            name="expires_in_days"
            aria-invalid=${expiryError ? 'true' : 'false'}
            aria-describedby=${expiryError ? 'expires_in_days-error' : nothing}
          >
            ${EXPIRY.map(({ days, label }) => html`<option value=${days} ?selected=${days === '90'}>${label}</option>`)}
          </select>
          ${expiryError ? html`<p class="error" id="expires_in_days-error">${expiryError}</p>` : nothing}
        </div>
        <p><button class="primary" type="submit" ?disabled=${this.busy}>Create key</button></p>
      </form>`;
  }

  private renderCreatedDialog() {
    const created = this.created;
    return html`<dialog id="created" aria-labelledby="created-title" aria-describedby="created-warning" @close=${this.closeCreated}>
      ${created
        ? html`<h2 id="created-title">Your new key “${created.name}”</h2>
            <p class="warning" id="created-warning">
              <strong>Copy it now: you won’t see it again.</strong> Keep it as secret as a password; revoke it here if it leaks.
            </p>
            <nf-copyable what="the key" .text=${created.key}></nf-copyable>
            <h3>Connect an AI assistant</h3>
            <p>This MCP configuration already holds the new key:</p>
            <nf-copyable what="the configuration with the key" .text=${mcpConfig(created.key)}></nf-copyable>
            <p><button class="primary" type="button" @click=${() => this.dialog('created').close()}>Done</button></p>`
        : nothing}
    </dialog>`;
  }

  private renderRevokeDialog() {
    const key = this.revoking;
    return html`<dialog id="revoke" aria-labelledby="revoke-title" aria-describedby="revoke-description" @close=${this.onRevokeClosed}>
      ${key
        ? html`<h2 id="revoke-title">Revoke the key “${key.name}”?</h2>
            <p id="revoke-description">Anything using it stops working at once. This cannot be undone.</p>
            <div class="row">
              <button type="button" autofocus @click=${() => this.dialog('revoke').close()}>Cancel</button>
              <button class="danger" type="button" @click=${() => this.dialog('revoke').close('revoke')}>Revoke key</button>
            </div>`
        : nothing}
    </dialog>`;
  }

  render() {
    return html`<section class="card" aria-labelledby="keys-title">
        <h2 id="keys-title" tabindex="-1">API keys</h2>
        <p class="muted">
          Scripts and AI assistants use a key instead of your password. Each key can do only what you allow, and stops
          working as soon as you revoke it.
        </p>
        ${this.renderKeys()} ${this.renderCreateForm()}
      </section>

      <section class="card" aria-labelledby="mcp-title">
        <h2 id="mcp-title">Connect an AI assistant (MCP)</h2>
        <p>
          AI assistants that support the Model Context Protocol can read and change your todos here: add this to the
          assistant’s MCP configuration, with one of your API keys in place of <code>${KEY_PLACEHOLDER}</code>.
        </p>
        <nf-copyable what="the configuration" .text=${mcpConfig(KEY_PLACEHOLDER)}></nf-copyable>
      </section>
      ${this.renderCreatedDialog()} ${this.renderRevokeDialog()}`;
  }
}
customElements.define('settings-api-keys', SettingsApiKeys);
