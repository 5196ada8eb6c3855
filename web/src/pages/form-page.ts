// What the account forms share: the session from context, field errors from problem details,
// a busy state, and a page heading that takes focus after navigation.
import { ContextConsumer } from '@lit/context';
import { LitElement } from 'lit';
import { ApiError, describeError } from '../api/client';
import { type SessionState, sessionContext } from '../auth/session';
import { ReauthCancelled } from '../auth/reauth';
import { shared } from '../styles/shared';

export class FormPage extends LitElement {
  static styles = [shared];
  static properties = {
    query: { attribute: false },
    errors: { state: true },
    message: { state: true },
    busy: { state: true },
  };
  declare query: URLSearchParams;
  /** Messages per field, from the server's `errors[]`. */
  declare errors: Record<string, string>;
  /** A message for the whole form. */
  declare message: string | null;
  declare busy: boolean;

  protected sessionConsumer = new ContextConsumer(this, { context: sessionContext, subscribe: true });

  constructor() {
    super();
    this.query = new URLSearchParams();
    this.errors = {};
    this.message = null;
    this.busy = false;
  }

  get session(): SessionState {
    return this.sessionConsumer.value ?? { status: 'loading' };
  }

  /** The named inputs of the form that was submitted. */
  protected values(event: SubmitEvent): Record<string, string> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    return Object.fromEntries([...new FormData(form)].map(([key, value]) => [key, String(value)]));
  }

  /** Run a submission: busy while it runs, errors shown next to their fields. */
  protected async submit(task: () => Promise<void>, fieldNames: Record<string, string> = {}) {
    if (this.busy) return;
    this.busy = true;
    this.errors = {};
    this.message = null;
    try {
      await task();
    } catch (error) {
      if (error instanceof ApiError && error.status === 422 && error.problem.errors?.length) {
        const errors: Record<string, string> = {};
        const unplaced: string[] = [];
        for (const [field, message] of Object.entries(error.fields)) {
          const input = fieldNames[field] ?? field;
          if (this.renderRoot.querySelector(`[name="${CSS.escape(input)}"]`)) errors[input] = sentence(message);
          else unplaced.push(sentence(message));
        }
        this.errors = errors;
        this.message = unplaced.length ? unplaced.join(' ') : 'Please correct the fields marked below.';
        await this.updateComplete;
        this.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      } else if (!(error instanceof ReauthCancelled)) {
        // Declining to confirm a sensitive change changes nothing, and needs no message.
        this.message = describeError(error);
      }
    } finally {
      this.busy = false;
    }
  }
}

/** "must be 10 to 128 characters" -> "Must be 10 to 128 characters." */
export function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
