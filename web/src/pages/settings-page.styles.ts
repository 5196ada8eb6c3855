// Styles the settings sections share (the page and its API keys part), apart from their logic.
import { css } from 'lit';

export const settingsStyles = css`
  fieldset {
    border: none;
    margin: 0;
    padding: 0;
  }
  legend {
    font-weight: 600;
    margin-bottom: var(--nf-space-2);
  }
  .choices {
    display: flex;
    flex-wrap: wrap;
    gap: var(--nf-space-2);
  }
  .choices label {
    display: inline-flex;
    align-items: center;
    gap: var(--nf-space-2);
    min-height: 2.75rem;
    padding: 0 var(--nf-space-3);
    border: 1px solid var(--nf-border);
    border-radius: var(--nf-radius);
    font-weight: 400;
    cursor: pointer;
  }
  ul.rows {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  ul.rows li {
    display: flex;
    flex-wrap: wrap;
    gap: var(--nf-space-2) var(--nf-space-4);
    align-items: center;
    justify-content: space-between;
    padding: var(--nf-space-3) 0;
    border-bottom: 1px solid var(--nf-border);
  }
  /* A secret shown once (an API key, recovery codes): the warning and the copy block. */
  .warning {
    padding: var(--nf-space-3) var(--nf-space-4);
    color: var(--nf-warning-text);
    background: var(--nf-warning-bg);
    border-radius: var(--nf-radius);
  }
  nf-copyable {
    margin-bottom: var(--nf-space-4);
  }
`;

/** The API keys list and its dialogs. */
export const apiKeysStyles = css`
  .key {
    min-width: 0;
    flex: 1 1 14rem;
  }
  .key-name {
    font-weight: 600;
    overflow-wrap: anywhere;
  }
  .badge {
    display: inline-block;
    margin-left: var(--nf-space-2);
    padding: 0 var(--nf-space-2);
    font-size: var(--nf-text-sm);
    color: var(--nf-danger);
    border: 1px solid var(--nf-danger);
    border-radius: var(--nf-radius);
  }
  dl {
    margin: var(--nf-space-1) 0 0;
    font-size: var(--nf-text-sm);
    color: var(--nf-text-muted);
  }
  dl div {
    display: flex;
    flex-wrap: wrap;
    gap: 0 var(--nf-space-2);
  }
  dt {
    font-weight: 600;
  }
  dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  code {
    font-family: var(--nf-font-mono);
    overflow-wrap: anywhere;
  }
  h3 {
    font-size: var(--nf-text-md);
    margin: var(--nf-space-5) 0 var(--nf-space-3);
  }
`;
