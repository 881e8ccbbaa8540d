/*
 * The policy form: vhost, name, pattern, apply-to, priority and the definition as key/value rows, each value typed
 * (string, number, boolean) so `max-length 10` goes out as the number 10, not "10". Keys offer what the API accepts
 * (src/management/routes/policies.ts; operator policies take fewer), but any key may be typed: the API's 400 reason
 * says what is wrong, and the form shows it.
 */
import { useState } from 'preact/hooks';
import { ActionForm, Field, inputValue } from '../components/ui';
import { api, apiPath } from '../lib/api';
import { VhostField } from '../components/vhost-select';

export type ValueType = 'string' | 'number' | 'boolean';

export interface Policy {
  vhost: string;
  name: string;
  pattern: string;
  'apply-to': string;
  definition: Record<string, unknown>;
  priority: number;
}

export type PolicyKind = 'policies' | 'operator-policies';

const NUMBER_KEYS = [
  'max-length',
  'max-length-bytes',
  'message-ttl',
  'expires',
  'delivery-limit',
  'queue-version',
  'max-in-memory-length',
  'max-in-memory-bytes',
  'consumer-timeout',
  'initial-cluster-size',
  'stream-max-segment-size-bytes',
  'stream-filter-size-bytes',
];
const STRING_KEYS = [
  'dead-letter-exchange',
  'dead-letter-routing-key',
  'dead-letter-strategy',
  'overflow',
  'alternate-exchange',
  'queue-mode',
  'max-age',
  'queue-leader-locator',
];
const OPERATOR_KEYS = ['max-length', 'max-length-bytes', 'message-ttl', 'expires', 'delivery-limit', 'queue-version', 'max-in-memory-length', 'max-in-memory-bytes'];
const APPLY_TO = ['all', 'queues', 'exchanges', 'classic_queues', 'quorum_queues', 'streams'];

export function keysFor(kind: PolicyKind): string[] {
  return kind === 'operator-policies' ? OPERATOR_KEYS : [...NUMBER_KEYS, ...STRING_KEYS];
}

/** The type a known key's value has; unknown keys start as strings. */
function typeOfKey(key: string): ValueType | undefined {
  if (NUMBER_KEYS.includes(key)) return 'number';
  if (STRING_KEYS.includes(key)) return 'string';
  return undefined;
}

interface Row {
  key: string;
  type: ValueType;
  value: string;
}

function rowsOf(definition: Record<string, unknown>): Row[] {
  const rows = Object.entries(definition).map(([key, v]): Row => {
    const type: ValueType = typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string';
    return { key, type, value: typeof v === 'string' ? v : JSON.stringify(v) };
  });
  return rows.length === 0 ? [{ key: '', type: 'string', value: '' }] : rows;
}

/** The definition object the rows describe; a number that does not parse is an error before anything is sent. */
function definitionOf(rows: readonly Row[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const row of rows) {
    const key = row.key.trim();
    if (key === '') continue;
    if (row.type === 'number') {
      const n = Number(row.value);
      if (row.value.trim() === '' || !Number.isFinite(n)) throw new Error(`${key}: "${row.value}" is not a number`);
      out[key] = n;
    } else if (row.type === 'boolean') out[key] = row.value === 'true';
    else out[key] = row.value;
  }
  return out;
}

function DefinitionRow(props: { index: number; row: Row; listId: string; onChange: (row: Row) => void; onRemove: () => void }) {
  const { row, index } = props;
  const n = index + 1;
  const setKey = (key: string): void => props.onChange({ ...row, key, type: typeOfKey(key) ?? row.type });
  return (
    <div class="row admin-def-row">
      <input aria-label={`Definition key ${n}`} list={props.listId} value={row.key} placeholder="key" onInput={(e) => setKey(inputValue(e))} />
      <select aria-label={`Definition type ${n}`} value={row.type} onChange={(e) => props.onChange({ ...row, type: (e.currentTarget as HTMLSelectElement).value as ValueType, value: '' })}>
        <option value="string">string</option>
        <option value="number">number</option>
        <option value="boolean">boolean</option>
      </select>
      {row.type === 'boolean' ? (
        <select aria-label={`Definition value ${n}`} value={row.value === 'true' ? 'true' : 'false'} onChange={(e) => props.onChange({ ...row, value: (e.currentTarget as HTMLSelectElement).value })}>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      ) : row.type === 'number' ? (
        <input aria-label={`Definition value ${n}`} type="number" step="any" value={row.value} onInput={(e) => props.onChange({ ...row, value: inputValue(e) })} />
      ) : (
        <input aria-label={`Definition value ${n}`} type="text" value={row.value} onInput={(e) => props.onChange({ ...row, value: inputValue(e) })} />
      )}
      <button type="button" onClick={props.onRemove} aria-label={`Remove definition row ${n}`}>
        Remove
      </button>
    </div>
  );
}

/** Add or update a policy; `initial` fills it for an edit (same vhost and name: the PUT replaces it). */
export function PolicyForm(props: { kind: PolicyKind; vhosts: string[]; initial?: Policy | undefined; defaultVhost: string; onDone: () => void }) {
  const { kind, initial } = props;
  const idp = kind === 'policies' ? 'policy' : 'op-policy';
  const [vhost, setVhost] = useState(initial?.vhost ?? props.defaultVhost);
  const [name, setName] = useState(initial?.name ?? '');
  const [pattern, setPattern] = useState(initial?.pattern ?? '.*');
  const [applyTo, setApplyTo] = useState(initial?.['apply-to'] ?? (kind === 'operator-policies' ? 'queues' : 'all'));
  const [priority, setPriority] = useState(String(initial?.priority ?? 0));
  const [rows, setRows] = useState<Row[]>(rowsOf(initial?.definition ?? {}));
  const submit = async (): Promise<void> => {
    const body = { pattern, 'apply-to': applyTo, priority: Number(priority), definition: definitionOf(rows) };
    await api.put(apiPath([kind, vhost, name]), body);
  };
  const update = (i: number, row: Row): void => setRows(rows.map((r, j) => (j === i ? row : r)));
  const listId = `${idp}-keys`;
  return (
    <ActionForm label={initial === undefined ? 'Add policy' : 'Update policy'} done="Saved." submit={submit} onDone={props.onDone}>
      <div class="row">
        <VhostField id={`${idp}-vhost`} value={vhost} names={props.vhosts} onChange={setVhost} />
        <Field id={`${idp}-name`} label="Policy name">
          <input id={`${idp}-name`} required value={name} onInput={(e) => setName(inputValue(e))} autocomplete="off" />
        </Field>
        <Field id={`${idp}-pattern`} label="Pattern" hint="a regular expression on names">
          <input id={`${idp}-pattern`} class="mono" required value={pattern} onInput={(e) => setPattern(inputValue(e))} />
        </Field>
        <Field id={`${idp}-apply`} label="Apply to">
          <select id={`${idp}-apply`} value={applyTo} onChange={(e) => setApplyTo((e.currentTarget as HTMLSelectElement).value)}>
            {APPLY_TO.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </Field>
        <Field id={`${idp}-priority`} label="Priority">
          <input id={`${idp}-priority`} type="number" step="1" required value={priority} onInput={(e) => setPriority(inputValue(e))} />
        </Field>
      </div>
      <fieldset class="admin-definition">
        <legend>Definition</legend>
        <datalist id={listId}>
          {keysFor(kind).map((k) => (
            <option key={k} value={k} />
          ))}
        </datalist>
        {rows.map((row, i) => (
          <DefinitionRow key={i} index={i} row={row} listId={listId} onChange={(r) => update(i, r)} onRemove={() => setRows(rows.filter((_, j) => j !== i))} />
        ))}
        <button type="button" onClick={() => setRows([...rows, { key: '', type: 'string', value: '' }])}>
          Add definition row
        </button>
      </fieldset>
    </ActionForm>
  );
}
