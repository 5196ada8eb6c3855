// The todo list as the page holds it, and how a todo from the server (a live event, an answer)
// is merged into it: no duplicates, newest first like the server's order, within the filter,
// and the counts that drive "Load more" kept in step.
import type { Todo, TodoFilter } from '../api/types';
import { LOCAL_PREFIX } from '../offline/outbox';

/** A todo on screen; `pending` while a change made offline waits to be sent. */
export type Item = Todo & { pending?: boolean };

export interface TodoList {
  items: Item[];
  /** How many todos the server holds for this filter. */
  total: number;
  /** Server todos loaded so far (the next page's offset). */
  offset: number;
}

export const matches = (filter: TodoFilter, todo: Todo) =>
  filter === 'all' || (filter === 'completed') === todo.completed;

export const isLocal = (id: string) => id.startsWith(LOCAL_PREFIX);

/** Whether `next` should replace `shown`: a later version, or the same instant but different. */
export function newer(next: Todo, shown: Todo): boolean {
  const a = Date.parse(next.updated_at);
  const b = Date.parse(shown.updated_at);
  if (a !== b) return a > b;
  return next.title !== shown.title || next.completed !== shown.completed;
}

/**
 * The list with `todo` where it belongs: replaced in place, inserted in id order (UUIDv7 ids
 * sort by creation, as the server lists them) when it is within the loaded part, or removed
 * when it left the filter, unless `keep` (the user just toggled it and should see it go).
 */
export function put(list: TodoList, todo: Todo, filter: TodoFilter, keep = false): TodoList {
  const index = list.items.findIndex((t) => t.id === todo.id);
  if (index >= 0) {
    if (!matches(filter, todo) && !keep) return drop(list, todo.id);
    const items = [...list.items];
    items[index] = todo;
    return { ...list, items };
  }
  if (!matches(filter, todo)) return list;
  let at = list.items.findIndex((t) => !isLocal(t.id) && t.id < todo.id);
  if (at < 0) {
    // Older than everything loaded: it belongs here only when nothing is left to load.
    if (list.offset < list.total) return list;
    at = list.items.length;
  }
  const items = [...list.items];
  items.splice(at, 0, todo);
  return { items, total: list.total + 1, offset: list.offset + 1 };
}

/** The list without the todo `id`; the counts change only for a server todo that was shown. */
export function drop(list: TodoList, id: string): TodoList {
  const items = list.items.filter((t) => t.id !== id);
  if (items.length === list.items.length) return list;
  if (isLocal(id)) return { ...list, items };
  return { items, total: Math.max(0, list.total - 1), offset: Math.max(0, list.offset - 1) };
}
