// The todo app: add, edit in place, toggle, delete with undo, filter (in the URL), stats,
// paged loading for long lists, and offline changes queued for replay.
import { LitElement, html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import * as api from '../api/client';
import { ApiError, NetworkError, describeError } from '../api/client';
import type { Todo, TodoFilter, TodoStats } from '../api/types';
import { getAccessToken } from '../auth/token';
import { toast } from '../components/nf-toaster';
import { type Change, LOCAL_PREFIX, OUTBOX_EVENT, pendingChanges, queue } from '../offline/outbox';
import { shared } from '../styles/shared';
import { todosStyles } from './todos-page.styles';

const PAGE_SIZE = 50;
const UNDO_MS = 5000;
const FILTERS: { value: TodoFilter; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'active', label: 'Active' },
  { value: 'completed', label: 'Completed' },
];

type Item = Todo & { pending?: boolean };

const matches = (filter: TodoFilter, todo: Todo) =>
  filter === 'all' || (filter === 'completed') === todo.completed;

export class TodosPage extends LitElement {
  static styles = [shared, todosStyles];

  static properties = {
    query: { attribute: false },
    items: { state: true },
    total: { state: true },
    stats: { state: true },
    loading: { state: true },
    loadingMore: { state: true },
    error: { state: true },
    addError: { state: true },
    editing: { state: true },
    editError: { state: true },
  };
  declare query: URLSearchParams;
  declare items: Item[];
  /** How many todos the server holds for this filter. */
  declare total: number;
  declare stats: TodoStats | null;
  declare loading: boolean;
  declare loadingMore: boolean;
  declare error: string | null;
  declare addError: string | null;
  declare editing: string | null;
  declare editError: string | null;

  /** Server todos loaded so far (the next page's offset). */
  private offset = 0;
  private loadedFilter: TodoFilter | null = null;
  private request: AbortController | null = null;
  /** Deletions waiting out their undo delay, sent when it ends (or when the page goes away). */
  private pendingDeletes = new Map<string, { todo: Item; index: number; dismiss: () => void }>();

  constructor() {
    super();
    this.query = new URLSearchParams();
    this.items = [];
    this.total = 0;
    this.stats = null;
    this.loading = true;
    this.loadingMore = false;
    this.error = null;
    this.addError = null;
    this.editing = null;
    this.editError = null;
  }

  get filter(): TodoFilter {
    const value = this.query.get('filter');
    return value === 'active' || value === 'completed' ? value : 'all';
  }

  connectedCallback() {
    super.connectedCallback();
    window.addEventListener(OUTBOX_EVENT, this.onOutbox);
    window.addEventListener('pagehide', this.flushDeletes);
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    window.removeEventListener(OUTBOX_EVENT, this.onOutbox);
    window.removeEventListener('pagehide', this.flushDeletes);
    this.flushDeletes();
  }

  protected willUpdate() {
    if (this.loadedFilter !== this.filter) {
      this.loadedFilter = this.filter;
      void this.load();
    }
  }

  /** Queued changes were sent: show the server's truth. */
  private onOutbox = (event: Event) => {
    const { sent, rejected } = (event as CustomEvent<{ sent: number; rejected: number }>).detail;
    if (rejected) toast({ message: `${rejected} change${rejected > 1 ? 's' : ''} made offline could not be saved.` });
    if (sent || rejected) void this.load({ quiet: true });
  };

  private async load({ quiet = false } = {}) {
    this.request?.abort();
    const controller = (this.request = new AbortController());
    if (!quiet) this.loading = true;
    this.error = null;
    try {
      const [page, stats] = await Promise.all([
        api.listTodos(this.filter, PAGE_SIZE, 0, controller.signal),
        api.todoStats().catch(() => null),
      ]);
      if (controller.signal.aborted) return;
      this.offset = page.items.length;
      this.total = page.total;
      this.stats = stats;
      this.items = await this.withPendingChanges(page.items.filter((t) => !this.pendingDeletes.has(t.id)));
    } catch (error) {
      if (controller.signal.aborted) return;
      this.error =
        error instanceof ApiError && error.status === 503
          ? 'You are offline and your todos have not been loaded on this device yet.'
          : `We could not load your todos. ${describeError(error)}`;
    } finally {
      if (!controller.signal.aborted) this.loading = false;
    }
  }

  /** Lay the changes still waiting in the outbox over what the server (or cache) said. */
  private async withPendingChanges(todos: Todo[]): Promise<Item[]> {
    let changes: Change[];
    try {
      changes = await pendingChanges();
    } catch {
      return todos;
    }
    let items: Item[] = [...todos];
    for (const change of changes) {
      if (change.kind === 'create') {
        const todo = { id: change.id, title: change.title, completed: change.completed, created_at: change.at, updated_at: change.at };
        if (matches(this.filter, todo)) items.unshift({ ...todo, pending: true });
      } else if (change.kind === 'update') {
        items = items.map((t) => (t.id === change.id ? { ...t, ...change.patch, pending: true } : t));
      } else {
        items = items.filter((t) => t.id !== change.id);
      }
    }
    return items;
  }

  private async loadMore() {
    this.loadingMore = true;
    try {
      const page = await api.listTodos(this.filter, PAGE_SIZE, this.offset);
      const known = new Set(this.items.map((t) => t.id));
      this.items = [...this.items, ...page.items.filter((t) => !known.has(t.id) && !this.pendingDeletes.has(t.id))];
      this.offset += page.items.length;
      this.total = page.total;
    } catch (error) {
      toast({ message: `Could not load more todos. ${describeError(error)}` });
    } finally {
      this.loadingMore = false;
    }
  }

  private async refreshStats() {
    try {
      this.stats = await api.todoStats();
    } catch {
      /* offline: the local adjustments stand */
    }
  }

  private adjustStats(active: number, completed: number) {
    if (!this.stats) return;
    this.stats = {
      total: this.stats.total + active + completed,
      active: this.stats.active + active,
      completed: this.stats.completed + completed,
    };
  }

  private async add(event: SubmitEvent) {
    event.preventDefault();
    const input = this.renderRoot.querySelector<HTMLInputElement>('#new-todo')!;
    const title = input.value.trim();
    if (!title) {
      this.addError = 'Write something first.';
      return;
    }
    if (title.length > 500) {
      this.addError = 'A todo can be at most 500 characters long.';
      return;
    }
    this.addError = null;
    input.value = '';
    const key = crypto.randomUUID();
    const showNew = this.filter !== 'completed';
    try {
      if (!navigator.onLine) throw new NetworkError();
      const todo = await api.createTodo({ title }, key);
      if (showNew) {
        this.items = [todo, ...this.items];
        this.offset += 1;
        this.total += 1;
      }
      void this.refreshStats();
    } catch (error) {
      if (error instanceof NetworkError) {
        const id = `${LOCAL_PREFIX}${key}`;
        const at = new Date().toISOString();
        await queue({ kind: 'create', id, key, title, completed: false, at });
        if (showNew) this.items = [{ id, title, completed: false, created_at: at, updated_at: at, pending: true }, ...this.items];
        this.adjustStats(1, 0);
      } else {
        input.value = title;
        this.addError = error instanceof ApiError && error.fields.title ? `The title ${error.fields.title}.` : describeError(error);
      }
    }
  }

  /** Apply a change on screen at once, then on the server (or in the outbox when offline). */
  private async change(todo: Item, patch: { title?: string; completed?: boolean }): Promise<boolean> {
    const before = this.items;
    const updated = { ...todo, ...patch };
    this.items = this.items.map((t) => (t.id === todo.id ? updated : t));
    try {
      if (todo.id.startsWith(LOCAL_PREFIX) || !navigator.onLine) throw new NetworkError();
      const saved = await api.updateTodo(todo.id, patch);
      this.items = this.items.map((t) => (t.id === todo.id ? saved : t));
      void this.refreshStats();
    } catch (error) {
      if (!(error instanceof NetworkError)) {
        this.items = before;
        toast({ message: `Could not save the change. ${describeError(error)}` });
        return false;
      }
      await queue({ kind: 'update', id: todo.id, patch });
      this.items = this.items.map((t) => (t.id === todo.id ? { ...t, pending: true } : t));
      if (patch.completed !== undefined && patch.completed !== todo.completed) {
        this.adjustStats(patch.completed ? -1 : 1, patch.completed ? 1 : -1);
      }
    }
    return true;
  }

  private async toggle(todo: Item) {
    const completed = !todo.completed;
    if (!(await this.change(todo, { completed }))) return;
    if (!matches(this.filter, { ...todo, completed })) {
      // It no longer belongs in this view; keep it a moment so the click is seen.
      window.setTimeout(() => {
        this.items = this.items.filter((t) => t.id !== todo.id);
        if (!todo.id.startsWith(LOCAL_PREFIX)) this.offset = Math.max(0, this.offset - 1);
        this.total = Math.max(0, this.total - 1);
      }, 400);
    }
  }

  private startEdit(todo: Item) {
    this.editing = todo.id;
    this.editError = null;
    void this.updateComplete.then(() => {
      const input = this.renderRoot.querySelector<HTMLInputElement>('#edit-todo');
      input?.focus();
      input?.select();
    });
  }

  private async finishEdit(todo: Item, save: boolean) {
    if (this.editing !== todo.id) return;
    const input = this.renderRoot.querySelector<HTMLInputElement>('#edit-todo');
    const title = input?.value.trim() ?? '';
    if (save && title !== todo.title) {
      if (!title || title.length > 500) {
        this.editError = title ? 'A todo can be at most 500 characters long.' : 'A todo needs a title. Delete it instead?';
        input?.focus();
        return;
      }
      this.editing = null;
      await this.change(todo, { title });
    } else {
      this.editing = null;
    }
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>(`[data-edit="${CSS.escape(todo.id)}"]`)?.focus();
  }

  private onEditKey(event: KeyboardEvent, todo: Item) {
    if (event.key === 'Enter') {
      event.preventDefault();
      void this.finishEdit(todo, true);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      void this.finishEdit(todo, false);
    }
  }

  private removeTodo(todo: Item) {
    const index = this.items.findIndex((t) => t.id === todo.id);
    this.items = this.items.filter((t) => t.id !== todo.id);
    this.adjustStats(todo.completed ? 0 : -1, todo.completed ? -1 : 0);
    const dismiss = toast({
      message: `Deleted “${todo.title.length > 40 ? `${todo.title.slice(0, 40)}…` : todo.title}”.`,
      timeout: UNDO_MS,
      action: { label: 'Undo', run: () => this.undoRemove(todo.id) },
      onExpire: () => void this.commitRemove(todo.id),
    });
    this.pendingDeletes.set(todo.id, { todo, index, dismiss });
    // Keep keyboard focus in the list.
    void this.updateComplete.then(() => {
      const rows = this.renderRoot.querySelectorAll<HTMLElement>('li.todo input[type="checkbox"]');
      (rows[Math.min(index, rows.length - 1)] ?? this.renderRoot.querySelector<HTMLElement>('#new-todo'))?.focus();
    });
  }

  private undoRemove(id: string) {
    const pending = this.pendingDeletes.get(id);
    if (!pending) return;
    this.pendingDeletes.delete(id);
    const items = [...this.items];
    items.splice(Math.min(pending.index, items.length), 0, pending.todo);
    this.items = items;
    this.adjustStats(pending.todo.completed ? 0 : 1, pending.todo.completed ? 1 : 0);
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector<HTMLElement>(`#check-${CSS.escape(id)}`)?.focus(),
    );
  }

  private async commitRemove(id: string) {
    const pending = this.pendingDeletes.get(id);
    if (!pending) return;
    this.pendingDeletes.delete(id);
    const wasServerTodo = !id.startsWith(LOCAL_PREFIX);
    try {
      if (!wasServerTodo || !navigator.onLine) throw new NetworkError();
      await api.deleteTodo(id);
    } catch (error) {
      if (error instanceof NetworkError) {
        await queue({ kind: 'delete', id });
      } else if (!(error instanceof ApiError && error.status === 404)) {
        toast({ message: `Could not delete the todo. ${describeError(error)}` });
        void this.load({ quiet: true });
        return;
      }
    }
    if (wasServerTodo) {
      this.offset = Math.max(0, this.offset - 1);
      this.total = Math.max(0, this.total - 1);
    }
    void this.refreshStats();
  }

  /** The page is going away: send the deletions still in their undo delay. */
  private flushDeletes = () => {
    const token = getAccessToken();
    for (const [id, { dismiss }] of this.pendingDeletes) {
      dismiss();
      if (id.startsWith(LOCAL_PREFIX) || !token) {
        void queue({ kind: 'delete', id });
      } else {
        void fetch(`/api/todos/${encodeURIComponent(id)}`, {
          method: 'DELETE',
          headers: { Authorization: `Bearer ${token}` },
          keepalive: true,
        }).catch(() => queue({ kind: 'delete', id }));
      }
    }
    this.pendingDeletes.clear();
  };

  private renderItem(todo: Item) {
    const checkId = `check-${todo.id}`;
    const titleId = `title-${todo.id}`;
    if (this.editing === todo.id) {
      return html`<li class="todo">
        <label class="visually-hidden" for="edit-todo">Edit the todo</label>
        <div class="edit">
          <input
            id="edit-todo"
            type="text"
            .value=${todo.title}
            maxlength="500"
            aria-invalid=${this.editError ? 'true' : 'false'}
            aria-describedby=${this.editError ? 'edit-error' : nothing}
            @keydown=${(e: KeyboardEvent) => this.onEditKey(e, todo)}
            @blur=${() => void this.finishEdit(todo, true)}
          />
          ${this.editError ? html`<p class="error" id="edit-error">${this.editError}</p>` : nothing}
        </div>
      </li>`;
    }
    return html`<li class="todo ${todo.completed ? 'done' : ''}">
      <input id=${checkId} type="checkbox" .checked=${todo.completed} aria-labelledby=${titleId} @change=${() => this.toggle(todo)} />
      <span class="title" id=${titleId} @dblclick=${() => this.startEdit(todo)}>${todo.title}</span>
      ${todo.pending ? html`<span class="badge">Not synced yet</span>` : nothing}
      <button data-edit=${todo.id} @click=${() => this.startEdit(todo)}>
        Edit<span class="visually-hidden"> “${todo.title}”</span>
      </button>
      <button @click=${() => this.removeTodo(todo)}>Delete<span class="visually-hidden"> “${todo.title}”</span></button>
    </li>`;
  }

  private renderList() {
    if (this.loading) return html`<p class="state" role="status">Loading your todos…</p>`;
    if (this.error) {
      return html`<div class="state">
        <p role="alert">${this.error}</p>
        <button @click=${() => this.load()}>Try again</button>
      </div>`;
    }
    if (this.items.length === 0) {
      const empty = {
        all: 'Nothing to do yet. Add your first todo above.',
        active: 'Nothing left to do. Well done!',
        completed: 'Nothing completed yet.',
      }[this.filter];
      return html`<p class="state">${empty}</p>`;
    }
    const more = this.total - this.offset;
    return html`<ul class="todos" aria-label="Todos">
        ${repeat(this.items, (t) => t.id, (t) => this.renderItem(t))}
      </ul>
      ${more > 0
        ? html`<div class="more">
            <button @click=${this.loadMore} ?disabled=${this.loadingMore}>
              ${this.loadingMore ? 'Loading…' : `Load more (${more} more)`}
            </button>
          </div>`
        : nothing}`;
  }

  render() {
    const stats = this.stats;
    return html`<div class="page">
      <h1 tabindex="-1">Your todos</h1>
      <form class="new" @submit=${this.add} novalidate>
        <label class="visually-hidden" for="new-todo">New todo</label>
        <input
          id="new-todo"
          type="text"
          placeholder="What needs to be done?"
          maxlength="500"
          autocomplete="off"
          aria-invalid=${this.addError ? 'true' : 'false'}
          aria-describedby=${this.addError ? 'new-todo-error' : nothing}
        />
        <button class="primary" type="submit">Add</button>
      </form>
      ${this.addError ? html`<p class="error" id="new-todo-error" role="alert">${this.addError}</p>` : nothing}
      <div class="toolbar">
        <nav aria-label="Filter todos">
          <ul class="filters">
            ${FILTERS.map(
              ({ value, label }) => html`<li>
                <a href=${value === 'all' ? '/app' : `/app?filter=${value}`} aria-current=${this.filter === value ? 'page' : nothing}>${label}</a>
              </li>`,
            )}
          </ul>
        </nav>
        ${stats
          ? html`<p class="stats" data-testid="stats">
              ${stats.active} active · ${stats.completed} completed · ${stats.total} in all
            </p>`
          : nothing}
      </div>
      ${this.renderList()}
    </div>`;
  }
}
customElements.define('todos-page', TodosPage);
