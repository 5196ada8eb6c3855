// "Plan with AI": a modal dialog where the user pastes free text, gets proposed todo titles
// back, and picks which to add. It creates nothing itself: it hands the chosen titles to the
// page (`plan-add`), which adds them like typed ones. Titles come from a model and are
// rendered as text, like every title.
import { LitElement, css, html, nothing } from 'lit';
import * as api from '../api/client';
import { ApiError, describeError } from '../api/client';
import { shared } from '../styles/shared';

const MAX_TEXT = 4000;

/** Fired with the titles the user chose, in the order proposed. */
export const PLAN_ADD_EVENT = 'plan-add';
export type PlanAdd = { titles: string[] };
/** Fired when the dialog has closed, so the page can put focus back where it came from. */
export const PLAN_CLOSE_EVENT = 'plan-close';

interface Proposal {
  title: string;
  chosen: boolean;
}

/** The sentence to show for a failed plan: the server words the assistant's failures for people. */
function planError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.fields.text) return `The text ${error.fields.text}.`;
    if ([429, 502, 503, 504].includes(error.status) && error.problem.detail) return error.problem.detail;
  }
  return describeError(error);
}

export class NfPlanDialog extends LitElement {
  static styles = [
    shared,
    css`
      dialog {
        width: min(40rem, calc(100vw - 2 * var(--nf-space-4)));
        max-height: calc(100vh - 2 * var(--nf-space-4));
        padding: var(--nf-space-5);
        color: var(--nf-text);
        background: var(--nf-surface);
        border: 1px solid var(--nf-border);
        border-radius: var(--nf-radius-lg);
        box-shadow: var(--nf-shadow);
      }
      dialog::backdrop {
        background: rgb(0 0 0 / 0.5);
      }
      h2:focus {
        outline: none;
      }
      h2:focus-visible {
        outline: 3px solid var(--nf-focus);
      }
      textarea {
        width: 100%;
        min-height: 10rem;
        padding: var(--nf-space-2) var(--nf-space-3);
        font: inherit;
        color: var(--nf-text);
        background: var(--nf-surface);
        border: 1px solid var(--nf-border);
        border-radius: var(--nf-radius);
        resize: vertical;
      }
      textarea[aria-invalid='true'] {
        border-color: var(--nf-danger);
      }
      fieldset {
        margin: 0;
        padding: 0;
        border: none;
        min-width: 0;
      }
      legend {
        padding: 0;
        margin-bottom: var(--nf-space-2);
        font-weight: 600;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li label {
        display: flex;
        gap: var(--nf-space-2);
        align-items: flex-start;
        padding: var(--nf-space-2) 0;
        font-weight: 400;
        border-bottom: 1px solid var(--nf-border);
        cursor: pointer;
      }
      li input {
        flex: none;
        width: 1.5rem;
        height: 1.5rem;
        margin: 0;
        accent-color: var(--nf-primary);
      }
      li span {
        min-width: 0;
        overflow-wrap: anywhere;
        white-space: pre-wrap;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: var(--nf-space-2);
        margin-top: var(--nf-space-4);
      }
    `,
  ];

  static properties = {
    busy: { state: true },
    error: { state: true },
    proposals: { state: true },
  };
  declare busy: boolean;
  declare error: string | null;
  /** `null` until proposals came back for the current text. */
  declare proposals: Proposal[] | null;

  private text = '';
  private request: AbortController | null = null;

  constructor() {
    super();
    this.busy = false;
    this.error = null;
    this.proposals = null;
  }

  private get dialog() {
    return this.renderRoot.querySelector('dialog')!;
  }

  /** Open the dialog at its text field, keeping what was typed last time. */
  async open() {
    this.error = null;
    this.proposals = null;
    await this.updateComplete;
    if (!this.dialog.open) this.dialog.showModal();
    this.focusOn('#plan-text');
  }

  close() {
    this.request?.abort();
    if (this.dialog.open) this.dialog.close();
  }

  private closed() {
    this.request?.abort();
    this.dispatchEvent(new CustomEvent(PLAN_CLOSE_EVENT));
  }

  private async focusOn(selector: string) {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>(selector)?.focus();
  }

  private async propose(event: SubmitEvent) {
    event.preventDefault();
    const text = this.text.trim();
    if (!text) {
      this.error = 'Paste or write some text first.';
      return this.focusOn('#plan-text');
    }
    if (text.length > MAX_TEXT) {
      this.error = `The text can be at most ${MAX_TEXT} characters long.`;
      return this.focusOn('#plan-text');
    }
    this.error = null;
    this.busy = true;
    const controller = (this.request = new AbortController());
    try {
      const plan = await api.planTodos({ text }, controller.signal);
      this.proposals = plan.todos.map(({ title }) => ({ title, chosen: true }));
      void this.focusOn('#proposals-heading');
    } catch (error) {
      if (controller.signal.aborted) return;
      this.error = planError(error);
      void this.focusOn('#plan-text');
    } finally {
      if (this.request === controller) this.request = null;
      this.busy = false;
    }
  }

  private toggle(index: number, chosen: boolean) {
    this.proposals = this.proposals!.map((p, i) => (i === index ? { ...p, chosen } : p));
  }

  private addChosen() {
    const titles = this.proposals!.filter((p) => p.chosen).map((p) => p.title);
    this.dispatchEvent(new CustomEvent<PlanAdd>(PLAN_ADD_EVENT, { detail: { titles } }));
    this.text = '';
    this.close();
  }

  private back() {
    this.proposals = null;
    void this.focusOn('#plan-text');
  }

  private renderForm() {
    const describedBy = this.error ? 'plan-text-hint plan-error' : 'plan-text-hint';
    return html`<form @submit=${this.propose} novalidate>
      <div class="field">
        <label for="plan-text">Your notes, an email or a goal</label>
        <span class="hint" id="plan-text-hint">
          Up to ${MAX_TEXT} characters. The assistant proposes todos; nothing is added until you choose.
        </span>
        <textarea
          id="plan-text"
          maxlength=${MAX_TEXT}
          .value=${this.text}
          @input=${(e: Event) => (this.text = (e.target as HTMLTextAreaElement).value)}
          aria-invalid=${this.error ? 'true' : 'false'}
          aria-describedby=${describedBy}
        ></textarea>
        ${this.error ? html`<p class="error" id="plan-error" role="alert">${this.error}</p>` : nothing}
      </div>
      <div class="actions">
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? 'Proposing…' : 'Propose todos'}</button>
        <button type="button" @click=${this.close}>Cancel</button>
      </div>
      <p class="visually-hidden" role="status">${this.busy ? 'Asking the assistant…' : ''}</p>
    </form>`;
  }

  private renderProposals(proposals: Proposal[]) {
    const chosen = proposals.filter((p) => p.chosen).length;
    if (proposals.length === 0) {
      return html`<h3 id="proposals-heading" tabindex="-1">No todos found</h3>
        <p>The assistant found nothing to do in this text. Try adding more detail.</p>
        <div class="actions">
          <button type="button" @click=${this.back}>Back to the text</button>
          <button type="button" @click=${this.close}>Close</button>
        </div>`;
    }
    return html`<h3 id="proposals-heading" tabindex="-1">${proposals.length} proposed todos</h3>
      <fieldset>
        <legend>Choose the todos to add</legend>
        <ul>
          ${proposals.map(
            (p, i) => html`<li>
              <label>
                <input type="checkbox" .checked=${p.chosen} @change=${(e: Event) => this.toggle(i, (e.target as HTMLInputElement).checked)} />
                <span>${p.title}</span>
              </label>
            </li>`,
          )}
        </ul>
      </fieldset>
      <div class="actions">
        <button class="primary" type="button" ?disabled=${chosen === 0} @click=${this.addChosen}>
          Add selected (${chosen})
        </button>
        <button type="button" @click=${this.back}>Back to the text</button>
        <button type="button" @click=${this.close}>Cancel</button>
      </div>`;
  }

  render() {
    return html`<dialog aria-labelledby="plan-dialog-title" @close=${this.closed}>
      <h2 id="plan-dialog-title">Plan with AI</h2>
      ${this.proposals ? this.renderProposals(this.proposals) : this.renderForm()}
    </dialog>`;
  }
}
customElements.define('nf-plan-dialog', NfPlanDialog);
