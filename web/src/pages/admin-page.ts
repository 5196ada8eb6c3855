// The admin area: users (search, role, activate or deactivate, delete) and the audit log.
import { ContextConsumer } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import * as api from '../api/client';
import { describeError } from '../api/client';
import type { AdminUser, AuditEntry, AuditEvent, Role } from '../api/types';
import { sessionContext } from '../auth/session';
import { toast } from '../components/nf-toaster';
import { shared } from '../styles/shared';

const PAGE_SIZE = 25;
/** The events the server records (API.md, audit log). */
const AUDIT_EVENTS: AuditEvent[] = [
  'signup',
  'login_succeeded',
  'login_failed',
  'logout',
  'session_revoked',
  'refresh_reuse_detected',
  'password_changed',
  'password_reset_requested',
  'password_reset',
  'email_verified',
  'role_changed',
  'user_activated',
  'user_deactivated',
  'account_deleted',
  'api_key_created',
  'api_key_revoked',
  'api_key_denied',
  'reauthenticated',
  'two_factor_enabled',
  'two_factor_disabled',
  'recovery_code_used',
  'recovery_codes_regenerated',
  'identity_linked',
  'identity_unlinked',
];

export class AdminPage extends LitElement {
  static styles = [
    shared,
    css`
      .page {
        max-width: 68rem;
      }
      .search {
        display: flex;
        flex-wrap: wrap;
        gap: var(--nf-space-2);
        align-items: end;
        margin-bottom: var(--nf-space-3);
      }
      .search .field {
        flex: 1 1 12rem;
      }
      td.actions {
        white-space: nowrap;
      }
      td.actions button {
        padding: 0 var(--nf-space-2);
        font-weight: 500;
      }
      .email {
        overflow-wrap: anywhere;
      }
      code {
        font-family: var(--nf-font-mono);
        font-size: var(--nf-text-xs);
        overflow-wrap: anywhere;
      }
      .status-off {
        color: var(--nf-danger);
        font-weight: 600;
      }
    `,
  ];

  static properties = {
    query: { attribute: false },
    users: { state: true },
    usersTotal: { state: true },
    usersError: { state: true },
    audit: { state: true },
    auditTotal: { state: true },
    auditError: { state: true },
  };
  declare query: URLSearchParams;
  declare users: AdminUser[] | null;
  declare usersTotal: number;
  declare usersError: string | null;
  declare audit: AuditEntry[] | null;
  declare auditTotal: number;
  declare auditError: string | null;

  private session = new ContextConsumer(this, { context: sessionContext, subscribe: true });
  private search = '';
  private auditFilters: { user_id?: string; event?: AuditEvent } = {};

  constructor() {
    super();
    this.query = new URLSearchParams();
    this.users = null;
    this.usersTotal = 0;
    this.usersError = null;
    this.audit = null;
    this.auditTotal = 0;
    this.auditError = null;
  }

  connectedCallback() {
    super.connectedCallback();
    void this.loadUsers();
    void this.loadAudit();
  }

  private get myId() {
    const session = this.session.value;
    return session?.status === 'signed-in' ? session.user.id : null;
  }

  private async loadUsers(more = false) {
    try {
      const page = await api.adminUsers(this.search, PAGE_SIZE, more ? (this.users?.length ?? 0) : 0);
      this.users = more ? [...(this.users ?? []), ...page.items] : page.items;
      this.usersTotal = page.total;
      this.usersError = null;
    } catch (error) {
      this.usersError = `We could not load the users. ${describeError(error)}`;
    }
  }

  private async loadAudit(more = false) {
    try {
      const page = await api.auditLog(this.auditFilters, PAGE_SIZE, more ? (this.audit?.length ?? 0) : 0);
      this.audit = more ? [...(this.audit ?? []), ...page.items] : page.items;
      this.auditTotal = page.total;
      this.auditError = null;
    } catch (error) {
      this.auditError = `We could not load the audit log. ${describeError(error)}`;
    }
  }

  private onSearch(event: SubmitEvent) {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    this.search = String(data.get('q') ?? '').trim();
    void this.loadUsers();
  }

  private onAuditFilter(event: SubmitEvent) {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const user_id = String(data.get('user_id') ?? '').trim() || undefined;
    const auditEvent = (String(data.get('event') ?? '') || undefined) as AuditEvent | undefined;
    this.auditFilters = { user_id, event: auditEvent };
    void this.loadAudit();
  }

  private async updateUser(user: AdminUser, patch: { role?: Role; is_active?: boolean }, done: string) {
    try {
      const updated = await api.adminUpdateUser(user.id, patch);
      this.users = (this.users ?? []).map((u) => (u.id === user.id ? updated : u));
      toast({ message: done });
      void this.loadAudit();
    } catch (error) {
      toast({ message: `Could not update ${user.email}. ${describeError(error)}` });
      this.requestUpdate();
    }
  }

  private async deleteUser(user: AdminUser) {
    if (!window.confirm(`Delete ${user.email} and all their data? This cannot be undone.`)) return;
    try {
      await api.adminDeleteUser(user.id);
      this.users = (this.users ?? []).filter((u) => u.id !== user.id);
      this.usersTotal -= 1;
      toast({ message: `${user.email} is deleted.` });
      void this.loadAudit();
    } catch (error) {
      toast({ message: `Could not delete ${user.email}. ${describeError(error)}` });
    }
  }

  private renderUsers() {
    if (this.usersError) return html`<p role="alert">${this.usersError}</p>`;
    if (!this.users) return html`<p role="status">Loading users…</p>`;
    if (this.users.length === 0) return html`<p>No user matches.</p>`;
    return html`<div class="table-wrap">
        <table>
          <caption class="visually-hidden">Users</caption>
          <thead>
            <tr><th scope="col">Email</th><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Actions</th></tr>
          </thead>
          <tbody>
            ${this.users.map((user) => {
              const me = user.id === this.myId;
              return html`<tr data-email=${user.email}>
                <td class="email">${user.email}</td>
                <td>${user.name ?? ''}</td>
                <td>
                  <label class="visually-hidden" for="role-${user.id}">Role of ${user.email}</label>
                  <select
                    id="role-${user.id}"
                    ?disabled=${me}
                    @change=${(e: Event) => {
                      const role = (e.target as HTMLSelectElement).value as Role;
                      void this.updateUser(user, { role }, `${user.email} is now ${role === 'admin' ? 'an admin' : 'a user'}.`);
                    }}
                  >
                    <option value="user" ?selected=${user.role === 'user'}>User</option>
                    <option value="admin" ?selected=${user.role === 'admin'}>Admin</option>
                  </select>
                </td>
                <td class=${user.is_active ? '' : 'status-off'}>${user.is_active ? 'Active' : 'Deactivated'}</td>
                <td class="actions">
                  ${me
                    ? html`<span class="hint">You</span>`
                    : html`<button
                          @click=${() =>
                            this.updateUser(
                              user,
                              { is_active: !user.is_active },
                              `${user.email} is ${user.is_active ? 'deactivated' : 'active again'}.`,
                            )}
                        >
                          ${user.is_active ? 'Deactivate' : 'Activate'}<span class="visually-hidden"> ${user.email}</span>
                        </button>
                        <button @click=${() => this.deleteUser(user)}>Delete<span class="visually-hidden"> ${user.email}</span></button>`}
                </td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
      ${this.users.length < this.usersTotal
        ? html`<p><button @click=${() => this.loadUsers(true)}>Load more users</button></p>`
        : nothing}`;
  }

  private renderAudit() {
    if (this.auditError) return html`<p role="alert">${this.auditError}</p>`;
    if (!this.audit) return html`<p role="status">Loading the audit log…</p>`;
    if (this.audit.length === 0) return html`<p>No event matches.</p>`;
    return html`<div class="table-wrap">
        <table>
          <caption class="visually-hidden">Audit log, newest first</caption>
          <thead>
            <tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">User</th><th scope="col">By</th><th scope="col">IP address</th></tr>
          </thead>
          <tbody>
            ${this.audit.map(
              (entry) => html`<tr>
                <td>${new Date(entry.at).toLocaleString()}</td>
                <td>${entry.event.replaceAll('_', ' ')}</td>
                <td><code>${entry.user_id ?? ''}</code></td>
                <td><code>${entry.actor_id ?? ''}</code></td>
                <td>${entry.ip ?? ''}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${this.audit.length < this.auditTotal
        ? html`<p><button @click=${() => this.loadAudit(true)}>Load more events</button></p>`
        : nothing}`;
  }

  render() {
    return html`<div class="page">
      <h1 tabindex="-1">Admin</h1>
      <section class="card" aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        <form class="search" role="search" @submit=${this.onSearch}>
          <div class="field">
            <label for="q">Search by email or name</label>
            <input id="q" name="q" type="search" autocomplete="off" />
          </div>
          <button type="submit">Search</button>
        </form>
        ${this.renderUsers()}
      </section>
      <section class="card" aria-labelledby="audit-title">
        <h2 id="audit-title">Audit log</h2>
        <form class="search" @submit=${this.onAuditFilter}>
          <div class="field">
            <label for="event">Event</label>
            <select id="event" name="event">
              <option value="">Any event</option>
              ${AUDIT_EVENTS.map((event) => html`<option value=${event}>${event.replaceAll('_', ' ')}</option>`)}
            </select>
          </div>
          <div class="field">
            <label for="user_id">User id</label>
            <input id="user_id" name="user_id" type="text" autocomplete="off" />
          </div>
          <button type="submit">Filter</button>
        </form>
        ${this.renderAudit()}
      </section>
    </div>`;
  }
}
customElements.define('admin-page', AdminPage);
