// The todo page's styles, apart from its logic.
import { css } from 'lit';

export const todosStyles = css`
  .page {
    max-width: 46rem;
  }
  .new {
    display: flex;
    gap: var(--nf-space-2);
  }
  .new input {
    flex: 1;
    min-width: 0;
  }
  .assist {
    display: flex;
    justify-content: flex-end;
    margin-top: var(--nf-space-2);
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    gap: var(--nf-space-2) var(--nf-space-4);
    align-items: center;
    justify-content: space-between;
    margin: var(--nf-space-4) 0 var(--nf-space-2);
  }
  .filters {
    display: flex;
    gap: var(--nf-space-1);
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .filters a {
    display: inline-flex;
    align-items: center;
    min-height: 2.75rem;
    padding: 0 var(--nf-space-3);
    border-radius: var(--nf-radius);
    color: var(--nf-text);
    text-decoration: none;
  }
  .filters a[aria-current='page'] {
    background: var(--nf-primary);
    color: var(--nf-on-primary);
    font-weight: 700;
  }
  .stats {
    margin: 0;
    color: var(--nf-text-muted);
    font-size: var(--nf-text-sm);
  }
  ul.todos {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  li.todo {
    display: flex;
    gap: var(--nf-space-2);
    align-items: center;
    padding: var(--nf-space-2) 0;
    border-bottom: 1px solid var(--nf-border);
  }
  li.todo input[type='checkbox'] {
    flex: none;
    width: 1.5rem;
    height: 1.5rem;
    margin: 0.6rem;
    accent-color: var(--nf-primary);
  }
  .title {
    flex: 1;
    min-width: 0;
    overflow-wrap: anywhere;
    white-space: pre-wrap;
    cursor: text;
  }
  .done .title {
    text-decoration: line-through;
    color: var(--nf-text-muted);
  }
  .edit {
    flex: 1;
    min-width: 0;
  }
  .badge {
    flex: none;
    font-size: var(--nf-text-xs);
    padding: 0 var(--nf-space-2);
    border-radius: 999px;
    background: var(--nf-warning-bg);
    color: var(--nf-warning-text);
  }
  li.todo button {
    flex: none;
    padding: 0 var(--nf-space-2);
    font-weight: 500;
  }
  .state {
    padding: var(--nf-space-6) var(--nf-space-2);
    text-align: center;
    color: var(--nf-text-muted);
  }
  .more {
    display: flex;
    justify-content: center;
    margin-top: var(--nf-space-4);
  }
  @media (max-width: 30rem) {
    li.todo button {
      padding: 0 var(--nf-space-1);
      font-size: var(--nf-text-sm);
    }
  }
`;
