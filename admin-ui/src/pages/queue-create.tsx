/*
 * Declare a queue (PUT /api/queues/{vh}/{q}) with every argument Leveret understands offered as a typed input, so a
 * TTL goes out as a number and not as the string "60000" (which the broker would refuse), plus free rows for any
 * other argument with its type. The broker checks the values: its 400 reason is shown as it is.
 * The list of arguments follows src/queue/arguments.ts (parseQueueArguments) and src/dedup/dedup.ts.
 */
import { useState } from 'preact/hooks';
import { ActionForm, Checkbox, Field, inputValue } from '../components/ui';
import { api, apiPath } from '../lib/api';
import { tick } from '../lib/live';
import { VhostField } from '../components/vhost-select';
import { queueHref } from './queue-common';

type Kind = 'integer' | 'string' | 'boolean' | 'choice';

interface KnownArg {
  readonly key: string;
  readonly label: string;
  readonly kind: Kind;
  readonly hint: string;
  readonly choices?: readonly string[];
}

export const KNOWN_ARGUMENTS: readonly KnownArg[] = [
  { key: 'x-queue-type', label: 'Queue type', kind: 'choice', choices: ['classic', 'quorum'], hint: 'quorum: durable only, redeliveries count x-delivery-count' },
  { key: 'x-message-ttl', label: 'Message TTL', kind: 'integer', hint: 'ms a message may wait in the queue' },
  { key: 'x-expires', label: 'Auto-expire', kind: 'integer', hint: 'ms unused before the queue is deleted (at least 1)' },
  { key: 'x-max-length', label: 'Max length', kind: 'integer', hint: 'ready messages at most' },
  { key: 'x-max-length-bytes', label: 'Max length in bytes', kind: 'integer', hint: 'total body bytes of ready messages at most' },
  {
    key: 'x-overflow',
    label: 'Overflow',
    kind: 'choice',
    choices: ['drop-head', 'reject-publish', 'reject-publish-dlx'],
    hint: 'what happens at the length limit (default drop-head)',
  },
  { key: 'x-dead-letter-exchange', label: 'Dead-letter exchange', kind: 'string', hint: 'where expired, rejected and dropped messages go' },
  { key: 'x-dead-letter-routing-key', label: 'Dead-letter routing key', kind: 'string', hint: 'needs a dead-letter exchange' },
  { key: 'x-max-priority', label: 'Maximum priority', kind: 'integer', hint: '1 to 255: a priority queue' },
  { key: 'x-queue-mode', label: 'Queue mode', kind: 'choice', choices: ['default', 'lazy'], hint: 'accepted for compatibility' },
  { key: 'x-single-active-consumer', label: 'Single active consumer', kind: 'boolean', hint: 'one consumer at a time gets messages' },
  { key: 'x-delivery-limit', label: 'Delivery limit', kind: 'integer', hint: 'returns before a message is dead-lettered' },
  { key: 'x-consumer-timeout', label: 'Consumer timeout', kind: 'integer', hint: 'ms an unacked delivery may wait (Leveret)' },
  { key: 'x-message-deduplication', label: 'Message de-duplication', kind: 'boolean', hint: 'drop messages whose key was seen (Leveret)' },
  { key: 'x-cache-size', label: 'De-duplication cache size', kind: 'integer', hint: 'keys remembered (default 128)' },
  { key: 'x-cache-ttl', label: 'De-duplication cache TTL', kind: 'integer', hint: 'ms a key is remembered' },
  { key: 'x-deduplication-header', label: 'De-duplication header', kind: 'string', hint: 'header holding the key (default x-deduplication-header)' },
];

type FreeType = 'string' | 'number' | 'boolean' | 'json';
interface FreeRow {
  key: string;
  type: FreeType;
  value: string;
}

/** A typed input's text as the JSON value the API gets; throws a readable error (the input names it). */
function knownValue(arg: KnownArg, text: string): unknown {
  if (arg.kind === 'integer') {
    const n = Number(text);
    if (!Number.isFinite(n)) throw new Error(`${arg.key}: '${text}' is not a number`);
    return n;
  }
  if (arg.kind === 'boolean') return text === 'true';
  return text;
}

function freeValue(row: FreeRow): unknown {
  switch (row.type) {
    case 'number': {
      const n = Number(row.value);
      if (row.value.trim() === '' || !Number.isFinite(n)) throw new Error(`${row.key}: '${row.value}' is not a number`);
      return n;
    }
    case 'boolean':
      if (row.value !== 'true' && row.value !== 'false') throw new Error(`${row.key}: a boolean is true or false`);
      return row.value === 'true';
    case 'json':
      try {
        return JSON.parse(row.value) as unknown;
      } catch {
        throw new Error(`${row.key}: not valid JSON`);
      }
    default:
      return row.value;
  }
}

/** The `arguments` object: the typed inputs that are set, then the free rows (a key given twice is an error). */
export function argumentsOf(known: Readonly<Record<string, string>>, free: readonly FreeRow[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const arg of KNOWN_ARGUMENTS) {
    const text = (known[arg.key] ?? '').trim();
    if (text !== '') out[arg.key] = knownValue(arg, text);
  }
  for (const row of free) {
    const key = row.key.trim();
    if (key === '') continue;
    if (key in out) throw new Error(`argument ${key} is given twice`);
    out[key] = freeValue({ ...row, key });
  }
  return out;
}

function KnownInput(props: { arg: KnownArg; id: string; value: string; set: (v: string) => void }) {
  const { arg, id, value, set } = props;
  if (arg.kind === 'integer') return <input id={id} type="number" value={value} onInput={(e) => set(inputValue(e))} />;
  if (arg.kind === 'string') return <input id={id} value={value} onInput={(e) => set(inputValue(e))} />;
  const choices = arg.kind === 'boolean' ? ['true', 'false'] : (arg.choices ?? []);
  return (
    <select id={id} value={value} onChange={(e) => set(inputValue(e))}>
      <option value="">(not set)</option>
      {choices.map((c) => (
        <option key={c} value={c}>
          {c}
        </option>
      ))}
    </select>
  );
}

export function CreateQueueForm(props: { vhosts: readonly string[]; vhost: string }) {
  const [vhost, setVhost] = useState(props.vhost);
  const [name, setName] = useState('');
  const [durable, setDurable] = useState(true);
  const [autoDelete, setAutoDelete] = useState(false);
  const [known, setKnown] = useState<Record<string, string>>({});
  const [free, setFree] = useState<FreeRow[]>([]);
  const [created, setCreated] = useState<{ vhost: string; name: string } | undefined>(undefined);

  const submit = async (): Promise<void> => {
    setCreated(undefined);
    if (name === '') throw new Error('A queue needs a name.');
    const body = { durable, auto_delete: autoDelete, arguments: argumentsOf(known, free) };
    await api.put(apiPath(['queues', vhost, name]), body);
    setCreated({ vhost, name });
    tick.value++; // every list on screen reloads now, the new queue with it
  };
  const setFreeRow = (i: number, patch: Partial<FreeRow>): void => setFree(free.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  return (
    <ActionForm submit={submit} label="Add queue" class="q-queue-create">
      <div class="row">
        <VhostField id="qc-vhost" value={vhost} names={props.vhosts} onChange={setVhost} />
        <Field id="qc-name" label="Queue name">
          <input id="qc-name" value={name} onInput={(e) => setName(inputValue(e))} />
        </Field>
      </div>
      <div class="row">
        <Checkbox label="Durable" checked={durable} onChange={setDurable} />
        <Checkbox label="Auto-delete" checked={autoDelete} onChange={setAutoDelete} />
      </div>
      <fieldset class="q-arg-grid">
        <legend>Arguments</legend>
        {KNOWN_ARGUMENTS.map((arg) => (
          <Field key={arg.key} id={`qc-${arg.key}`} label={`${arg.label} (${arg.key})`} hint={arg.hint}>
            <KnownInput arg={arg} id={`qc-${arg.key}`} value={known[arg.key] ?? ''} set={(v) => setKnown({ ...known, [arg.key]: v })} />
          </Field>
        ))}
      </fieldset>
      <fieldset class="headers">
        <legend>Other arguments</legend>
        {free.map((row, i) => (
          <div class="row" key={i}>
            <input aria-label={`Argument ${i + 1} name`} placeholder="x-…" value={row.key} onInput={(e) => setFreeRow(i, { key: inputValue(e) })} />
            <select aria-label={`Argument ${i + 1} type`} value={row.type} onChange={(e) => setFreeRow(i, { type: inputValue(e) as FreeType })}>
              <option value="string">String</option>
              <option value="number">Number</option>
              <option value="boolean">Boolean</option>
              <option value="json">JSON (list, table)</option>
            </select>
            <input aria-label={`Argument ${i + 1} value`} placeholder="value" value={row.value} onInput={(e) => setFreeRow(i, { value: inputValue(e) })} />
            <button type="button" onClick={() => setFree(free.filter((_, j) => j !== i))}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" onClick={() => setFree([...free, { key: '', type: 'string', value: '' }])}>
          Add argument
        </button>
      </fieldset>
      {created !== undefined && (
        <p class="ok" role="status">
          Queue <a href={queueHref(created.vhost, created.name)}>{created.name}</a> declared in {created.vhost}.
        </p>
      )}
    </ActionForm>
  );
}
