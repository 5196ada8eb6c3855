// The todo app: add, edit in place, toggle, delete with undo, filter (in the URL), stats,
// paged loading for long lists, offline changes queued for replay, and live updates from the
// user's other tabs and devices merged with what this page has just done itself.
import { LitElement, html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import * as api from '../api/client';
import { ApiError, NetworkError, describeError } from '../api/client';
import type { Todo, TodoFilter, TodoStats } from '../api/types';
import { getAccessToken } from '../auth/token';
import type { NfPlanDialog, PlanAdd } from '../components/nf-plan-dialog';
import '../components/nf-plan-dialog';
import { toast } from '../components/nf-toaster';
import {
  type Change,
  type Created,
  LOCAL_PREFIX,
  OUTBOX_CREATED_EVENT,
  OUTBOX_EVENT,
  pendingChanges,
  queue,
} from '../offline/outbox';
import { type LiveEvent, subscribe } from '../realtime/events';
import { shared } from '../styles/shared';
import { type Item, type TodoList, drop, isLocal, matches, newer, put } from './todos-list';
import { todosStyles } from './todos-page.styles';

const PAGE_SIZE = 50;
/** The most a list request may ask for: a refetch reloads up to this many at once. */
const MAX_PAGE = 100;
const UNDO_MS = 5000;
const FILTERS: { value: TodoFilter; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'active', label: 'Active' },
  { value: 'completed', label: 'Completed' },
];

/** How long a live creation may wait for the outbox to say it was one of ours. */
const HOLD_MS = 3000;
/** Live events come in bursts: one stats request per burst. */
const STATS_DELAY_MS = 150;

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
    assistant: { state: true },
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
  /** Whether the server offers plans from free text ("Plan with AI"). */
  declare assistant: boolean;

  /** Server todos loaded so far (the next page's offset). */
  private offset = 0;
  private loadedFilter: TodoFilter | null = null;
  private request: AbortController | null = null;
  /** Deletions waiting out their undo delay, sent when it ends (or when the page goes away). */
  private pendingDeletes = new Map<string, { todo: Item; index: number; dismiss: () => void }>();
  private unsubscribe: (() => void) | null = null;
  /** Live events received while the list loads, applied over its result. */
  private missed: LiveEvent[] = [];
  /** Changes of each todo this page is still saving; live versions wait for them in `later`. */
  private saving = new Map<string, number>();
  /** The newest server version of a todo being saved or edited here, shown once that is over. */
  private later = new Map<string, Todo>();
  /** Todos toggled out of the filter, shown a moment longer so the click is seen. */
  private leaving = new Set<string>();
  /** Live creations that may be this browser's offline creations being replayed right now. */
  private held = new Map<string, Todo>();
  /** Todos deleted on the server: a late answer or a replayed event must not bring one back. */
  private gone = new Set<string>();
  private heldTimer: number | undefined;
  private statsTimer: number | undefined;
  private statsRequest = 0;

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
    this.assistant = false;
  }

  get filter(): TodoFilter {
    const value = this.query.get('filter');
    return value === 'active' || value === 'completed' ? value : 'all';
  }

  connectedCallback() {
    super.connectedCallback();
    window.addEventListener(OUTBOX_EVENT, this.onOutbox);
    window.addEventListener(OUTBOX_CREATED_EVENT, this.onCreatedOffline);
    window.addEventListener('pagehide', this.flushDeletes);
    this.unsubscribe = subscribe(this.onLive);
    api.assistantStatus().then(
      ({ available }) => (this.assistant = available),
      () => (this.assistant = false),
    );
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    window.removeEventListener(OUTBOX_EVENT, this.onOutbox);
    window.removeEventListener(OUTBOX_CREATED_EVENT, this.onCreatedOffline);
    window.removeEventListener('pagehide', this.flushDeletes);
    this.unsubscribe?.();
    this.unsubscribe = null;
    window.clearTimeout(this.heldTimer);
    window.clearTimeout(this.statsTimer);
    this.flushDeletes();
  }

  private get list(): TodoList {
    return { items: this.items, total: this.total, offset: this.offset };
  }

  private set list(list: TodoList) {
    this.items = list.items;
    this.total = list.total;
    this.offset = list.offset;
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

  /**
   * Fetch the list and the stats. `quiet` keeps the current list on screen meanwhile; `refetch`
   * (after live updates were missed) also keeps it when the fetch fails, and reloads as many
   * todos as were shown.
   */
  private async load({ quiet = false, refetch = false } = {}) {
    this.request?.abort();
    const controller = (this.request = new AbortController());
    // A refetch behind the user's back never replaces their list with an error.
    const silent = refetch && !this.loading;
    if (!quiet && !refetch) this.loading = true;
    // The answer will include every change made before now.
    this.held.clear();
    const statsRequest = ++this.statsRequest;
    const limit = refetch ? Math.min(MAX_PAGE, Math.max(PAGE_SIZE, this.offset)) : PAGE_SIZE;
    try {
      const [page, stats] = await Promise.all([
        api.listTodos(this.filter, limit, 0, controller.signal),
        api.todoStats().catch(() => null),
      ]);
      const items = await this.withPendingChanges(page.items.filter((t) => !this.pendingDeletes.has(t.id)));
      if (controller.signal.aborted) return;
      this.error = null;
      this.list = { items, total: page.total, offset: page.items.length };
      if (stats && statsRequest === this.statsRequest) this.stats = this.withoutPendingDeletes(stats);
    } catch (error) {
      if (controller.signal.aborted || silent) return;
      this.error =
        error instanceof ApiError && error.status === 503
          ? 'You are offline and your todos have not been loaded on this device yet.'
          : `We could not load your todos. ${describeError(error)}`;
    } finally {
      if (!controller.signal.aborted) {
        this.loading = false;
        this.request = null;
        // What happened while the answer was on its way.
        const missed = this.missed;
        this.missed = [];
        for (const event of missed) this.apply(event);
        const resync = missed.map((event) => event.type).lastIndexOf('resync');
        if (resync >= 0) {
          // The answer may predate the resync: fetch again, and lay what came after it over that.
          this.missed = missed.slice(resync + 1);
          void this.load({ quiet: true, refetch: true });
        }
      }
    }
  }

  /** A change from the server, made here or in another tab or device. */
  private onLive = (event: LiveEvent) => {
    // While a list is on its way, even a resync waits: that answer is shown first.
    if (this.request) this.missed.push(event);
    else if (event.type === 'resync') void this.load({ quiet: true, refetch: true });
    else this.apply(event);
  };

  private apply(event: LiveEvent) {
    if (event.type === 'todo.deleted') this.deletedElsewhere(event.id);
    else if (event.type !== 'resync') this.changedElsewhere(event.todo, event.type === 'todo.created');
  }

  private changedElsewhere(todo: Todo, created: boolean, release = false) {
    if (this.gone.has(todo.id)) return;
    const pending = this.pendingDeletes.get(todo.id);
    if (pending) {
      if (newer(todo, pending.todo)) pending.todo = todo;
      return this.statsSoon();
    }
    if (this.saving.has(todo.id) || this.editing === todo.id) {
      this.keepForLater(todo);
      return this.statsSoon();
    }
    const shown = this.items.find((t) => t.id === todo.id);
    if (shown && !newer(todo, shown)) return; // this page's own change coming back, or older
    if (created && !shown && !release && this.items.some((t) => isLocal(t.id))) {
      // Maybe an offline creation of ours whose answer has not arrived yet: wait for it.
      this.held.set(todo.id, todo);
      window.clearTimeout(this.heldTimer);
      this.heldTimer = window.setTimeout(this.releaseHeld, HOLD_MS);
      return;
    }
    this.list = put(this.list, todo, this.filter, this.leaving.has(todo.id));
    this.statsSoon();
  }

  private deletedElsewhere(id: string) {
    this.gone.add(id);
    this.held.delete(id);
    this.later.delete(id);
    const pending = this.pendingDeletes.get(id);
    if (pending) {
      // Already gone: nothing left to undo or to send.
      pending.dismiss();
      this.pendingDeletes.delete(id);
      this.total = Math.max(0, this.total - 1);
      this.offset = Math.max(0, this.offset - 1);
    } else {
      if (this.editing === id) this.editing = null;
      this.list = drop(this.list, id);
    }
    this.statsSoon();
  }

  private releaseHeld = () => {
    window.clearTimeout(this.heldTimer);
    const held = [...this.held.values()];
    this.held.clear();
    for (const todo of held) this.changedElsewhere(todo, true, true);
  };

  /** An offline creation reached the server: the same row, now with its real id. */
  private onCreatedOffline = (event: Event) => {
    const { localId, todo } = (event as CustomEvent<Created>).detail;
    this.held.delete(todo.id);
    const local = this.items.find((t) => t.id === localId);
    if (local && this.items.some((t) => t.id === todo.id)) {
      this.list = drop(this.list, localId);
    } else if (local) {
      // The same row under its real id, showing what it showed (later offline edits included).
      const pending = local.title !== todo.title || local.completed !== todo.completed;
      const saved = { ...todo, title: local.title, completed: local.completed, pending };
      this.list = {
        items: this.items.map((t) => (t.id === localId ? saved : t)),
        total: this.total + 1,
        offset: this.offset + 1,
      };
      if (this.editing === localId) this.editing = todo.id;
    }
    if (!this.items.some((t) => isLocal(t.id))) this.releaseHeld();
    this.statsSoon();
  };

  private keepForLater(todo: Todo) {
    const kept = this.later.get(todo.id);
    if (!kept || newer(todo, kept)) this.later.set(todo.id, todo);
  }

  /** Show the newest version kept while the todo was being saved or edited here. */
  private showLater(id: string) {
    const todo = this.later.get(id);
    if (!todo || this.saving.has(id) || this.editing === id || this.gone.has(id)) return;
    this.later.delete(id);
    const shown = this.items.find((t) => t.id === id);
    if (!shown || newer(todo, shown)) this.list = put(this.list, todo, this.filter, this.leaving.has(id));
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
    const request = ++this.statsRequest;
    try {
      const stats = await api.todoStats();
      // Answers can cross: only the latest request's counts are shown.
      if (request === this.statsRequest) this.stats = this.withoutPendingDeletes(stats);
    } catch {
      /* offline: the local adjustments stand */
    }
  }

  /** The server's counts still include the deletions waiting out their undo delay. */
  private withoutPendingDeletes(stats: TodoStats): TodoStats {
    let { total, active, completed } = stats;
    for (const { todo } of this.pendingDeletes.values()) {
      if (isLocal(todo.id)) continue;
      total--;
      if (todo.completed) completed--;
      else active--;
    }
    return { total: Math.max(0, total), active: Math.max(0, active), completed: Math.max(0, completed) };
  }

  private statsSoon() {
    window.clearTimeout(this.statsTimer);
    this.statsTimer = window.setTimeout(() => void this.refreshStats(), STATS_DELAY_MS);
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
    const failure = await this.createTodo(title);
    if (failure) {
      input.value = title;
      this.addError = failure instanceof ApiError && failure.fields.title ? `The title ${failure.fields.title}.` : describeError(failure);
    }
  }

  /**
   * Create a todo on the server, or queue it in the outbox when offline: every todo added
   * from this page goes this way. Returns the error when the server refused it.
   */
  private async createTodo(title: string): Promise<unknown> {
    const key = crypto.randomUUID();
    try {
      if (!navigator.onLine) throw new NetworkError();
      const todo = await api.createTodo({ title }, key);
      // Its live event may have come first and shown it already (or even its deletion).
      const known = this.items.some((t) => t.id === todo.id) || this.gone.has(todo.id);
      if (!known) this.list = put(this.list, todo, this.filter);
      void this.refreshStats();
    } catch (error) {
      if (!(error instanceof NetworkError)) return error;
      const id = `${LOCAL_PREFIX}${key}`;
      const at = new Date().toISOString();
      await queue({ kind: 'create', id, key, title, completed: false, at });
      if (this.filter !== 'completed') this.items = [{ id, title, completed: false, created_at: at, updated_at: at, pending: true }, ...this.items];
      this.adjustStats(1, 0);
    }
    return null;
  }

  private openPlanner() {
    void this.renderRoot.querySelector<NfPlanDialog>('nf-plan-dialog')?.open();
  }

  /** Add the titles chosen in "Plan with AI", as if typed one by one. */
  private onPlanAdd = async (event: Event) => {
    const { titles } = (event as CustomEvent<PlanAdd>).detail;
    // Newest first on screen: added last to first, the list reads as the plan did.
    const failures = [];
    for (const title of [...titles].reverse()) {
      const failure = await this.createTodo(title);
      if (failure) failures.push(failure);
    }
    if (failures.length) {
      const count = failures.length;
      toast({ message: `${count} todo${count > 1 ? 's' : ''} could not be added. ${describeError(failures[0])}` });
    }
  };

  private onPlanClose = () => {
    this.renderRoot.querySelector<HTMLElement>('#plan-open')?.focus();
  };

  /** Apply a change on screen at once, then on the server (or in the outbox when offline). */
  private async change(todo: Item, patch: { title?: string; completed?: boolean }): Promise<boolean> {
    const { id } = todo;
    this.items = this.items.map((t) => (t.id === id ? { ...t, ...patch } : t));
    this.saving.set(id, (this.saving.get(id) ?? 0) + 1);
    try {
      if (isLocal(id) || !navigator.onLine) throw new NetworkError();
      // The answer waits with the live versions: with two changes on their way, the first
      // answer must not undo the second on screen.
      this.keepForLater(await api.updateTodo(id, patch));
      void this.refreshStats();
    } catch (error) {
      if (!(error instanceof NetworkError)) {
        const gone = error instanceof ApiError && error.status === 404 && this.gone.has(id);
        this.items = this.items.map((t) => (t.id === id ? todo : t));
        // Deleted elsewhere meanwhile: the list already shows that, there is nothing to add.
        if (!gone) toast({ message: `Could not save the change. ${describeError(error)}` });
        return false;
      }
      await queue({ kind: 'update', id, patch });
      this.items = this.items.map((t) => (t.id === id ? { ...t, pending: true } : t));
      if (patch.completed !== undefined && patch.completed !== todo.completed) {
        this.adjustStats(patch.completed ? -1 : 1, patch.completed ? 1 : -1);
      }
    } finally {
      const left = (this.saving.get(id) ?? 1) - 1;
      if (left > 0) this.saving.set(id, left);
      else this.saving.delete(id);
      this.showLater(id);
    }
    return true;
  }

  private async toggle(todo: Item) {
    const completed = !todo.completed;
    const leaves = !matches(this.filter, { ...todo, completed });
    if (leaves) this.leaving.add(todo.id);
    if (!(await this.change(todo, { completed })) || !leaves) {
      this.leaving.delete(todo.id);
      return;
    }
    // It no longer belongs in this view; keep it a moment so the click is seen.
    window.setTimeout(() => {
      this.leaving.delete(todo.id);
      const shown = this.items.find((t) => t.id === todo.id);
      if (shown && !matches(this.filter, shown)) this.list = drop(this.list, todo.id);
    }, 400);
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

  /**
   * Leave edit mode, saving when asked. Ended from the keyboard, focus goes back to the
   * item's Edit button at once, before the save is answered: a user who has already moved
   * on must not have focus pulled back. Ended by a blur, focus stays where the user put it.
   */
  private async finishEdit(todo: Item, save: boolean, refocus = false) {
    if (this.editing !== todo.id) return;
    const input = this.renderRoot.querySelector<HTMLInputElement>('#edit-todo');
    const title = input?.value.trim() ?? '';
    const changed = save && title !== todo.title;
    if (changed && (!title || title.length > 500)) {
      this.editError = title ? 'A todo can be at most 500 characters long.' : 'A todo needs a title. Delete it instead?';
      input?.focus();
      return;
    }
    this.editing = null;
    const saved = changed ? this.change(todo, { title }) : null;
    if (!saved) this.showLater(todo.id);
    if (refocus) {
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>(`[data-edit="${CSS.escape(todo.id)}"]`)?.focus();
    }
    await saved;
  }

  private onEditKey(event: KeyboardEvent, todo: Item) {
    if (event.key === 'Enter') {
      event.preventDefault();
      void this.finishEdit(todo, true, true);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      void this.finishEdit(todo, false, true);
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
    const wasServerTodo = !isLocal(id);
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
      if (isLocal(id) || !token) {
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
      ${this.assistant
        ? html`<div class="assist">
              <button id="plan-open" type="button" aria-haspopup="dialog" @click=${this.openPlanner}>Plan with AI</button>
            </div>
            <nf-plan-dialog @plan-add=${this.onPlanAdd} @plan-close=${this.onPlanClose}></nf-plan-dialog>`
        : nothing}
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
