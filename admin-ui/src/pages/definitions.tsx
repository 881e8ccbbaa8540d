/*
 * Definitions export and import, on the overview page for administrators. Export downloads GET /api/definitions as a
 * file (the request carries the session cookie like every other: no credentials in a URL). Import reads a file the
 * user picks, shows what it would create and change next to what the broker has now (computed here, from the
 * current export), and only then POSTs it.
 */
import { useState } from 'preact/hooks';
import { api, apiPath } from '../lib/api';
import { me } from '../lib/session';
import { ActionButton, ErrorBox, Field, Section } from '../components/ui';
import { parseDefinitions, previewImport, type KindChange, type Preview } from './definitions-diff';

/** `leveret-definitions-2026-12-05.json` (UTC date). */
export function exportFileName(now = new Date()): string {
  return `leveret-definitions-${now.toISOString().slice(0, 10)}.json`;
}

async function download(): Promise<void> {
  const definitions = await api.get<unknown>(apiPath(['definitions']));
  const blob = new Blob([JSON.stringify(definitions, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = exportFileName();
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own copy once it started; the next turn is late enough to let the URL go.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

interface Loaded {
  readonly name: string;
  readonly doc: Readonly<Record<string, unknown>>;
  readonly preview: Preview;
}

const KIND_LABELS: Readonly<Record<string, string>> = {
  users: 'Users',
  vhosts: 'Virtual hosts',
  permissions: 'Permissions',
  topic_permissions: 'Topic permissions',
  queues: 'Queues',
  exchanges: 'Exchanges',
  bindings: 'Bindings',
  policies: 'Policies',
  operator_policies: 'Operator policies',
  parameters: 'Parameters',
  global_parameters: 'Global parameters',
};

function Names(props: { title: string; names: readonly string[] }) {
  if (props.names.length === 0) return null;
  return (
    <div class="defs-names">
      <span class="muted">{props.title}:</span>
      <ul>
        {props.names.map((n, i) => (
          <li key={i}>{n}</li>
        ))}
      </ul>
    </div>
  );
}

function KindRow(props: { change: KindChange }) {
  const c = props.change;
  return (
    <tr>
      <th scope="row">{KIND_LABELS[c.kind] ?? c.kind}</th>
      <td class="num">{c.created.length}</td>
      <td class="num">{c.changed.length}</td>
      <td class="num">{c.unchanged}</td>
      <td>
        <Names title="created" names={c.created} />
        <Names title="changed" names={c.changed} />
      </td>
    </tr>
  );
}

export function PreviewTable(props: { preview: Preview }) {
  const { kinds, unknownKeys } = props.preview;
  const self = kinds.find((k) => k.kind === 'users')?.changed.includes(me.value?.name ?? '\u0000') === true;
  return (
    <div>
      <table class="grid defs-preview" aria-label="Import preview">
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col" class="num">Created</th>
            <th scope="col" class="num">Changed</th>
            <th scope="col" class="num">Unchanged</th>
            <th scope="col">Objects</th>
          </tr>
        </thead>
        <tbody>
          {kinds.map((c) => (
            <KindRow key={c.kind} change={c} />
          ))}
        </tbody>
      </table>
      {self && <p class="defs-warning">This import changes your own user ({me.value?.name}): if its password changes, you will be logged out.</p>}
      {unknownKeys.length > 0 && <p class="muted">Also in the file, not previewed: {unknownKeys.join(', ')}.</p>}
      <p class="muted">An import creates and updates; it deletes nothing.</p>
    </div>
  );
}

function Importer() {
  const [loaded, setLoaded] = useState<Loaded | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  // A new input after an import or a cancel: picking the same file again then previews it again.
  const [generation, setGeneration] = useState(0);
  const reset = (): void => {
    setLoaded(undefined);
    setGeneration((g) => g + 1);
  };
  const pick = async (e: Event): Promise<void> => {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    setLoaded(undefined);
    setError(undefined);
    setDone(undefined);
    if (file === undefined) return;
    try {
      const doc = parseDefinitions(await file.text());
      const current = await api.get<Record<string, unknown>>(apiPath(['definitions']));
      setLoaded({ name: file.name, doc, preview: previewImport(doc, current) });
    } catch (err) {
      setError(err);
    }
  };
  const apply = async (): Promise<void> => {
    if (loaded === undefined) return;
    await api.post(apiPath(['definitions']), loaded.doc);
    setDone(`Imported ${loaded.name}.`);
    reset();
  };
  return (
    <div class="defs-import">
      <Field id="definitions-file" label="Definitions file to import" hint="A JSON export from Leveret or RabbitMQ; nothing changes before you confirm.">
        <input key={generation} id="definitions-file" type="file" accept=".json,application/json" onChange={(e) => void pick(e)} />
      </Field>
      <ErrorBox error={error} />
      {done !== undefined && (
        <p class="ok" role="status">
          {done}
        </p>
      )}
      {loaded !== undefined && (
        <div class="defs-review">
          <h3>What importing {loaded.name} changes</h3>
          <PreviewTable preview={loaded.preview} />
          <div class="form-actions">
            <ActionButton label="Import" run={apply} />
            <button type="button" onClick={reset}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </div>
  );
}

/** The section; the overview shows it to administrators only. */
export function Definitions() {
  return (
    <Section title="Definitions">
      <div class="defs">
        <div>
          <p class="muted">Users, virtual hosts, permissions, queues, exchanges, bindings, policies and parameters, as one JSON file.</p>
          <ActionButton label="Export definitions" run={download} />
        </div>
        <Importer />
      </div>
    </Section>
  );
}
