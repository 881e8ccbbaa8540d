import { parseArgs } from 'node:util';

/*
 * `leveret browse` and `leveret redrive`: the message browser and the dead-letter re-drive for scripts. They talk to
 * a running broker's management API over HTTP (GET /api/leveret/queues/{vh}/{q}/messages, POST .../redrive) with
 * Basic auth, like rabbitmqadmin, and print a table or JSON.
 */

export const CLI_COMMANDS = ['browse', 'redrive'] as const;
export type CliCommand = (typeof CLI_COMMANDS)[number];

export const CLI_USAGE = `Usage:
  leveret browse <queue> [--vhost /] [--offset 0] [--limit 50] [--search text] [--json]
  leveret redrive <queue> [--vhost /] [--search text] [--limit n] [--to-exchange x] [--routing-key k]
                          [--dry-run] [--rate n] [--json]
Common: --url http://localhost:15672 --user guest --password guest (or LEVERET_URL, LEVERET_USER, LEVERET_PASSWORD)
browse prints position, routing key, exchange, redelivered, x-death reason and a payload preview (--json: the API's
answer). redrive moves the selected messages back to the exchange and routing key they were dead-lettered from
(x-death), or to --to-exchange/--routing-key; --dry-run only counts them.
`;

export function isCliCommand(word: string | undefined): word is CliCommand {
  return (CLI_COMMANDS as readonly string[]).includes(word ?? '');
}

interface Io {
  out(text: string): void;
  env: NodeJS.ProcessEnv;
  fetch: typeof fetch;
}

const defaultIo: Io = { out: (text) => process.stdout.write(text), env: process.env, fetch: (...a) => fetch(...a) };

/** Runs one command; resolves to the process exit code (0 ok, 1 the API refused, 2 bad usage). */
export async function runCli(command: CliCommand, argv: string[], io: Io = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        vhost: { type: 'string', default: '/' },
        url: { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        json: { type: 'boolean', default: false },
        offset: { type: 'string' },
        limit: { type: 'string' },
        search: { type: 'string' },
        'to-exchange': { type: 'string' },
        'routing-key': { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        rate: { type: 'string' },
      },
    });
  } catch (err) {
    io.out(`leveret ${command}: ${(err as Error).message}\n${CLI_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const queue = positionals[0];
  if (queue === undefined || positionals.length > 1) {
    io.out(`leveret ${command}: name one queue\n${CLI_USAGE}`);
    return 2;
  }
  const base = (values.url ?? io.env.LEVERET_URL ?? 'http://localhost:15672').replace(/\/+$/, '');
  const user = values.user ?? io.env.LEVERET_USER ?? 'guest';
  const password = values.password ?? io.env.LEVERET_PASSWORD ?? 'guest';
  const path = `${base}/api/leveret/queues/${encodeURIComponent(values.vhost)}/${encodeURIComponent(queue)}`;
  const headers: Record<string, string> = { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };

  let res: Response;
  if (command === 'browse') {
    const query = new URLSearchParams();
    if (values.offset !== undefined) query.set('offset', values.offset);
    if (values.limit !== undefined) query.set('limit', values.limit);
    if (values.search !== undefined) query.set('search', values.search);
    res = await io.fetch(`${path}/messages?${query.toString()}`, { headers });
  } else {
    const body: Record<string, unknown> = { dry_run: values['dry-run'] };
    if (values.search !== undefined) body.search = values.search;
    if (values.limit !== undefined) body.limit = Number(values.limit);
    if (values['to-exchange'] !== undefined) body.to_exchange = values['to-exchange'];
    if (values['routing-key'] !== undefined) body.routing_key = values['routing-key'];
    if (values.rate !== undefined) body.rate = Number(values.rate);
    res = await io.fetch(`${path}/redrive`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }
  const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    io.out(`leveret ${command}: ${res.status} ${String(answer.error ?? '')}: ${String(answer.reason ?? res.statusText)}\n`);
    return 1;
  }
  if (values.json) io.out(`${JSON.stringify(answer, null, 2)}\n`);
  else io.out(command === 'browse' ? browseTable(answer) : redriveLine(answer));
  return 0;
}

function redriveLine(a: Record<string, unknown>): string {
  const dry = a.dry_run === true;
  return (
    `${dry ? 'dry run: ' : ''}matched ${String(a.matched)}, moved ${String(a.moved)}, skipped ${String(a.skipped)}, ` +
    `unroutable ${String(a.unroutable)}, scanned ${String(a.scanned)}\n`
  );
}

interface BrowsedItem {
  position: number;
  routing_key: string;
  exchange: string;
  redelivered: boolean;
  properties: { headers?: { 'x-death'?: { reason?: string }[] } } | [];
  payload: string;
  payload_encoding: string;
}

/** The page as a table: position, routing key, exchange, redelivered, x-death reason, payload preview. */
export function browseTable(a: Record<string, unknown>): string {
  const items = (a.items ?? []) as BrowsedItem[];
  const rows = [['position', 'routing_key', 'exchange', 'redelivered', 'death', 'payload']];
  for (const m of items) {
    const death = Array.isArray(m.properties) ? undefined : m.properties.headers?.['x-death']?.[0]?.reason;
    const payload = m.payload_encoding === 'string' ? m.payload : `(base64) ${m.payload}`;
    rows.push([String(m.position), m.routing_key, m.exchange === '' ? '(default)' : m.exchange, String(m.redelivered), death ?? '', preview(payload)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
  const extra = a.scanned === undefined ? '' : `, ${String(a.scanned)} scanned${a.truncated === true ? ' (stopped early: narrow the search)' : ''}`;
  return `${lines.join('\n')}\n${items.length} shown of ${String(a.total)}${extra}\n`;
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}
