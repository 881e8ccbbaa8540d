/*
 * Arguments as typed rows (name, type, value), for exchange, queue and binding forms: the API takes them as JSON and
 * the broker keeps the JSON type (a number stays a number in the field table), so the user picks the type rather than
 * the UI guessing it from the text. Known arguments are offered as one-click rows with their type set.
 */
import { inputValue } from './ui';

export type ArgType = 'string' | 'number' | 'boolean';

export interface ArgRow {
  readonly name: string;
  readonly type: ArgType;
  readonly value: string;
}

export interface KnownArgument {
  readonly name: string;
  readonly type: ArgType;
  /** What the button says, e.g. 'Alternate exchange'. */
  readonly label: string;
  /** The value a new row starts with. */
  readonly initial?: string;
}

/** The rows as the API's `arguments` object; throws a readable error for a bad number or boolean or a repeated name. */
export function argumentsOf(rows: readonly ArgRow[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const row of rows) {
    const name = row.name.trim();
    if (name === '') continue;
    if (name in out) throw new Error(`argument ${name} is given twice`);
    if (row.type === 'number') {
      const n = Number(row.value);
      if (row.value.trim() === '' || !Number.isFinite(n)) throw new Error(`argument ${name}: '${row.value}' is not a number`);
      out[name] = n;
    } else if (row.type === 'boolean') {
      if (row.value !== 'true' && row.value !== 'false') throw new Error(`argument ${name}: a boolean is true or false`);
      out[name] = row.value === 'true';
    } else out[name] = row.value;
  }
  return out;
}

export function ArgumentsEditor(props: {
  rows: readonly ArgRow[];
  onChange: (rows: ArgRow[]) => void;
  known?: readonly KnownArgument[];
  legend?: string;
  /** The add button's text: 'Add argument' unless the rows are something else (headers). */
  addLabel?: string;
}) {
  const rows = props.rows;
  const set = (i: number, patch: Partial<ArgRow>): void => props.onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const add = (row: ArgRow): void => props.onChange([...rows, row]);
  const legend = props.legend ?? 'Arguments';
  return (
    <fieldset class="args-editor">
      <legend>{legend}</legend>
      {rows.map((row, i) => (
        <div class="row" key={i}>
          <input aria-label={`${legend} ${i + 1} name`} placeholder="name" value={row.name} onInput={(e) => set(i, { name: inputValue(e) })} />
          <select aria-label={`${legend} ${i + 1} type`} value={row.type} onChange={(e) => set(i, { type: inputValue(e) as ArgType })}>
            <option value="string">String</option>
            <option value="number">Number</option>
            <option value="boolean">Boolean</option>
          </select>
          {row.type === 'boolean' ? (
            <select aria-label={`${legend} ${i + 1} value`} value={row.value} onChange={(e) => set(i, { value: inputValue(e) })}>
              <option value="true">true</option>
              <option value="false">false</option>
            </select>
          ) : (
            <input aria-label={`${legend} ${i + 1} value`} placeholder="value" value={row.value} onInput={(e) => set(i, { value: inputValue(e) })} />
          )}
          <button type="button" onClick={() => props.onChange(rows.filter((_, j) => j !== i))} aria-label={`Remove ${legend.toLowerCase()} ${i + 1}`}>
            Remove
          </button>
        </div>
      ))}
      <div class="row">
        <button type="button" onClick={() => add({ name: '', type: 'string', value: '' })}>
          {props.addLabel ?? 'Add argument'}
        </button>
        {(props.known ?? []).map((k) => (
          <button
            type="button"
            key={k.name}
            class="args-known"
            disabled={rows.some((r) => r.name === k.name)}
            onClick={() => add({ name: k.name, type: k.type, value: k.initial ?? (k.type === 'boolean' ? 'true' : '') })}
          >
            + {k.label}
          </button>
        ))}
      </div>
    </fieldset>
  );
}
