// Styles every page shares inside its shadow root: layout, headings, forms, buttons, alerts.
import { css, html, nothing } from 'lit';

export const shared = css`
  :host {
    display: block;
  }
  * {
    box-sizing: border-box;
  }
  .page {
    max-width: 44rem;
    margin: 0 auto;
    padding: var(--nf-space-5) var(--nf-space-4) var(--nf-space-8);
  }
  .narrow {
    max-width: 26rem;
  }
  h1 {
    font-size: var(--nf-text-xl);
    line-height: 1.2;
    margin: var(--nf-space-4) 0 var(--nf-space-4);
  }
  h1:focus {
    outline: none;
  }
  h1:focus-visible {
    outline: 3px solid var(--nf-focus);
  }
  h2 {
    font-size: var(--nf-text-lg);
    margin: 0 0 var(--nf-space-3);
  }
  p {
    margin: 0 0 var(--nf-space-3);
  }
  a {
    color: var(--nf-link);
  }
  .muted {
    color: var(--nf-text-muted);
  }
  .card {
    background: var(--nf-surface);
    border: 1px solid var(--nf-border);
    border-radius: var(--nf-radius-lg);
    padding: var(--nf-space-5);
    box-shadow: var(--nf-shadow);
    margin-bottom: var(--nf-space-5);
  }
  form {
    display: grid;
    gap: var(--nf-space-4);
  }
  form + p {
    margin-top: var(--nf-space-4);
  }
  .field {
    display: grid;
    gap: var(--nf-space-1);
  }
  label {
    font-weight: 600;
  }
  .hint {
    font-size: var(--nf-text-sm);
    color: var(--nf-text-muted);
  }
  input[type='text'],
  input[type='email'],
  input[type='password'],
  input[type='search'],
  select {
    width: 100%;
    min-height: 2.75rem;
    padding: var(--nf-space-2) var(--nf-space-3);
    font: inherit;
    color: var(--nf-text);
    background: var(--nf-surface);
    border: 1px solid var(--nf-border);
    border-radius: var(--nf-radius);
  }
  input[aria-invalid='true'] {
    border-color: var(--nf-danger);
  }
  :focus-visible {
    outline: 3px solid var(--nf-focus);
    outline-offset: 2px;
  }
  .error {
    color: var(--nf-danger);
    font-size: var(--nf-text-sm);
    margin: 0;
  }
  .alert {
    padding: var(--nf-space-3) var(--nf-space-4);
    border-radius: var(--nf-radius);
    border: 1px solid var(--nf-danger);
    color: var(--nf-text);
    background: var(--nf-surface);
    margin: 0 0 var(--nf-space-4);
  }
  .alert.success {
    border-color: var(--nf-success);
  }
  button,
  .button {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: var(--nf-space-2);
    min-height: 2.75rem;
    min-width: 2.75rem;
    padding: var(--nf-space-2) var(--nf-space-4);
    font: inherit;
    font-weight: 600;
    color: var(--nf-text);
    background: var(--nf-surface);
    border: 1px solid var(--nf-border);
    border-radius: var(--nf-radius);
    cursor: pointer;
    text-decoration: none;
    transition: background var(--nf-duration);
  }
  button:hover {
    background: var(--nf-surface-2);
  }
  button.primary,
  .button.primary {
    color: var(--nf-on-primary);
    background: var(--nf-primary);
    border-color: var(--nf-primary);
  }
  button.primary:hover {
    background: var(--nf-primary-hover);
  }
  button.danger {
    color: var(--nf-on-danger);
    background: var(--nf-danger);
    border-color: var(--nf-danger);
  }
  button.link {
    min-height: auto;
    padding: 0;
    border: none;
    background: none;
    color: var(--nf-link);
    text-decoration: underline;
    font-weight: 400;
  }
  button[disabled] {
    opacity: 0.65;
    cursor: progress;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: var(--nf-space-3);
    align-items: center;
  }
  /* Email addresses have no spaces: a long one breaks anywhere rather than widen a phone. */
  .email {
    overflow-wrap: anywhere;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    padding: 0;
    margin: -1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
  table {
    width: 100%;
    border-collapse: collapse;
  }
  th,
  td {
    text-align: left;
    padding: var(--nf-space-2);
    border-bottom: 1px solid var(--nf-border);
    vertical-align: middle;
  }
  .table-wrap {
    overflow-x: auto;
  }
`;

interface FieldOptions {
  id: string;
  label: string;
  type?: string;
  value?: string;
  error?: string;
  hint?: string;
  autocomplete?: string;
  required?: boolean;
  minlength?: number;
}

/** A modal `<dialog>`: sized to the screen, with a dimmed backdrop. */
export const dialogStyles = css`
  dialog {
    width: min(36rem, calc(100vw - 2 * var(--nf-space-4)));
    max-height: calc(100vh - 2 * var(--nf-space-4));
    padding: var(--nf-space-5);
    color: var(--nf-text);
    background: var(--nf-surface);
    border: 1px solid var(--nf-border);
    border-radius: var(--nf-radius-lg);
    box-shadow: var(--nf-shadow);
  }
  @media (max-width: 30rem) {
    dialog {
      padding: var(--nf-space-4);
    }
  }
  dialog::backdrop {
    background: rgb(0 0 0 / 55%);
  }
  dialog h2 {
    overflow-wrap: anywhere;
  }
`;

/** A labelled input with its hint and its error (announced and tied to the input). */
export function field(o: FieldOptions) {
  const describedBy = [o.hint ? `${o.id}-hint` : '', o.error ? `${o.id}-error` : ''].join(' ').trim();
  return html`<div class="field">
    <label for=${o.id}>${o.label}</label>
    ${o.hint ? html`<span class="hint" id="${o.id}-hint">${o.hint}</span>` : nothing}
    <input
      id=${o.id}
      name=${o.id}
      type=${o.type ?? 'text'}
      .value=${o.value ?? ''}
      autocomplete=${o.autocomplete ?? 'off'}
      ?required=${o.required ?? true}
      minlength=${o.minlength ?? nothing}
      aria-invalid=${o.error ? 'true' : 'false'}
      aria-describedby=${describedBy || nothing}
    />
    ${o.error ? html`<p class="error" id="${o.id}-error">${o.error}</p>` : nothing}
  </div>`;
}

/** The form-level message: a problem without a field, or a success. */
export function formMessage(message: string | null, kind: 'error' | 'success' = 'error') {
  return message
    ? html`<p class="alert ${kind}" role=${kind === 'error' ? 'alert' : 'status'}>${message}</p>`
    : nothing;
}
