import { LitElement, html } from 'lit';
import { shared } from '../styles/shared';

export class NotFoundPage extends LitElement {
  static styles = [shared];
  static properties = { query: { attribute: false } };
  declare query: URLSearchParams;

  render() {
    return html`<div class="page narrow">
      <h1 tabindex="-1">Page not found</h1>
      <p>There is nothing at <code>${location.pathname}</code>. The link may be old, or the address mistyped.</p>
      <p class="row"><a class="button primary" href="/app">Go to your todos</a><a class="button" href="/">Home page</a></p>
    </div>`;
  }
}
customElements.define('not-found-page', NotFoundPage);
