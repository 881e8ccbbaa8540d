/** Small building blocks every page uses: sections, key/value tables, errors, buttons that confirm, form fields. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { errorText } from '../lib/api';

export function Section(props: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="section">
      <header class="section-head">
        <h2>{props.title}</h2>
        {props.actions !== undefined && <div class="section-actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

export function PageTitle(props: { kind?: string; title: string; children?: ComponentChildren }) {
  return (
    <div class="page-title">
      <h1>
        {props.kind !== undefined && <span class="kind">{props.kind} </span>}
        <span class="name">{props.title}</span>
      </h1>
      {props.children}
    </div>
  );
}

export function ErrorBox(props: { error: unknown }) {
  if (props.error === undefined || props.error === null) return null;
  return (
    <p class="error" role="alert">
      {errorText(props.error)}
    </p>
  );
}

export function Notice(props: { children: ComponentChildren }) {
  return (
    <p class="notice" role="status">
      {props.children}
    </p>
  );
}

/** Rows of label: value; values are rendered as text unless they are elements. */
export function KeyValues(props: { rows: ReadonlyArray<readonly [string, ComponentChildren]> }) {
  return (
    <table class="kv">
      <tbody>
        {props.rows.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A value of unknown shape as text: strings as they are, anything else as JSON. Never markup. */
export function Value(props: { value: unknown }) {
  const v = props.value;
  if (v === undefined || v === null) return <span class="muted">—</span>;
  if (typeof v === 'string') return <span>{v}</span>;
  if (typeof v === 'number' || typeof v === 'boolean') return <span>{String(v)}</span>;
  return <code class="json">{JSON.stringify(v)}</code>;
}

/** An action's state for ActionButton and ActionForm: running, its error, or done (`ok`, until the next start). */
function useAction(run: () => Promise<unknown>, onDone: (() => void) | undefined) {
  const [state, setState] = useState<{ busy: boolean; error: unknown; ok: boolean }>({ busy: false, error: undefined, ok: false });
  const start = async (): Promise<void> => {
    setState({ busy: true, error: undefined, ok: false });
    try {
      await run();
      setState({ busy: false, error: undefined, ok: true });
      onDone?.();
    } catch (error) {
      setState({ busy: false, error, ok: false });
    }
  };
  return { ...state, start };
}

/**
 * A button that runs an action, shows that it is running, and reports its error next to it. With `confirm`, asks
 * first (a native dialog: nothing on the page can fake it).
 */
export function ActionButton(props: {
  label: string;
  /** A longer accessible name, when the label alone is ambiguous (a 'Clear' on every row). */
  ariaLabel?: string;
  run: () => Promise<unknown>;
  confirm?: string;
  danger?: boolean;
  disabled?: boolean;
  onDone?: () => void;
}) {
  const { busy, error, start } = useAction(props.run, props.onDone);
  const click = (): void => {
    if (props.confirm !== undefined && !window.confirm(props.confirm)) return;
    void start();
  };
  return (
    <span class="action">
      <button type="button" class={props.danger === true ? 'danger' : ''} aria-label={props.ariaLabel} disabled={busy || props.disabled === true} onClick={click}>
        {busy ? `${props.label}…` : props.label}
      </button>
      {error !== undefined && <ErrorBox error={error} />}
    </span>
  );
}

/** A checkbox with its label after it, both in one <label> (so the label names it and clicking the text toggles it). */
export function Checkbox(props: { label: string; checked: boolean; onChange: (checked: boolean) => void }) {
  return (
    <label class="inline">
      <input type="checkbox" checked={props.checked} onChange={() => props.onChange(!props.checked)} /> {props.label}
    </label>
  );
}

/** A labelled input; `id` ties the label to it for screen readers. */
export function Field(props: { id: string; label: string; children: ComponentChildren; hint?: string }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint !== undefined && <small class="hint">{props.hint}</small>}
    </div>
  );
}

/** A form whose submit runs an async action, with its error and a success message. */
export function ActionForm(props: {
  submit: () => Promise<unknown>;
  label: string;
  children: ComponentChildren;
  done?: string;
  onDone?: () => void;
  class?: string;
}) {
  const { busy, error, ok, start } = useAction(props.submit, props.onDone);
  const onSubmit = (e: Event): void => {
    e.preventDefault();
    void start();
  };
  return (
    <form class={`form ${props.class ?? ''}`} onSubmit={onSubmit}>
      {props.children}
      <div class="form-actions">
        <button type="submit" disabled={busy}>
          {busy ? `${props.label}…` : props.label}
        </button>
        {ok && props.done !== undefined && <span class="ok" role="status">{props.done}</span>}
      </div>
      <ErrorBox error={error} />
    </form>
  );
}

/** The value of an input event, for onInput handlers. */
export function inputValue(e: Event): string {
  return (e.currentTarget as HTMLInputElement).value;
}
