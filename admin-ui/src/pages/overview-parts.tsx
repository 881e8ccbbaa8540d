/** The overview page's parts: totals, charts with their range, node figures, alarms, listeners. */
import { Chart, chartFromDetails, RangeSelect, type ChartData } from '../components/chart';
import { bytes, duration, num, rate, detailsRate } from '../lib/format';
import { KeyValues, Section } from '../components/ui';

export type Json = Readonly<Record<string, unknown>>;

export function obj(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function Card(props: { label: string; value: string }) {
  return (
    <div class="card">
      <div class="figure">{props.value}</div>
      <div class="label">{props.label}</div>
    </div>
  );
}

const OBJECT_TOTALS = [
  ['connections', 'Connections'],
  ['channels', 'Channels'],
  ['exchanges', 'Exchanges'],
  ['queues', 'Queues'],
  ['consumers', 'Consumers'],
] as const;

const QUEUED = [
  ['messages_ready', 'Ready'],
  ['messages_unacknowledged', 'Unacked'],
  ['messages', 'Total'],
] as const;

/** Object counts and queued messages, as RabbitMQ's object_totals and queue_totals give them. */
export function Totals(props: { overview: Json }) {
  const objects = obj(props.overview.object_totals);
  const queued = obj(props.overview.queue_totals);
  return (
    <Section title="Totals">
      <div class="cards" role="list" aria-label="Object totals">
        {OBJECT_TOTALS.map(([key, label]) => (
          <div role="listitem" key={key}>
            <Card label={label} value={num(objects[key])} />
          </div>
        ))}
      </div>
      <div class="cards ov-queued" role="list" aria-label="Queued messages">
        {QUEUED.map(([key, label]) => (
          <div role="listitem" key={key}>
            <Card label={`Messages ${label.toLowerCase()}`} value={num(queued[key])} />
          </div>
        ))}
      </div>
    </Section>
  );
}

/** The rates RabbitMQ's message_stats has for the whole broker, as running totals with samples. */
const RATE_KEYS = [
  ['publish', 'Publish'],
  ['confirm', 'Confirm'],
  ['deliver_get', 'Deliver / get'],
  ['ack', 'Ack'],
  ['redeliver', 'Redeliver'],
  ['get_empty', 'Get (empty)'],
  ['return_unroutable', 'Unroutable (return)'],
  ['drop_unroutable', 'Unroutable (drop)'],
] as const;

/** The current rate of each figure beside the chart, so the numbers read without hovering. */
function Rates(props: { stats: Json; keys: ReadonlyArray<readonly [string, string]>; lengths?: boolean }) {
  return (
    <KeyValues
      rows={props.keys.map(([key, label]) => [label, props.lengths === true ? num(props.stats[key]) : rate(detailsRate(props.stats, key) ?? 0)])}
    />
  );
}

export function Charts(props: { overview: Json; range: string }) {
  const stats = obj(props.overview.message_stats);
  const queued = obj(props.overview.queue_totals);
  const rates: ChartData = chartFromDetails(stats, RATE_KEYS, true);
  const lengths: ChartData = chartFromDetails(queued, QUEUED, false);
  return (
    <Section title="Messages" actions={<RangeSelect value={props.range} />}>
      <div class="charts">
        <div class="ov-chart">
          <Chart title="Queued messages" data={lengths} width={420} />
          <Rates stats={queued} keys={QUEUED} lengths />
        </div>
        <div class="ov-chart">
          <Chart title="Message rates" data={rates} unit="/s" width={420} />
          <Rates stats={stats} keys={RATE_KEYS} />
        </div>
      </div>
    </Section>
  );
}

function Usage(props: { label: string; used: number; limit: number; low?: boolean }) {
  // Memory is bad when high, disk when low: <meter>'s low/high/optimum say which way is good.
  return props.low === true ? (
    <meter aria-label={props.label} min={0} max={Math.max(props.used, props.limit * 4)} low={props.limit * 2} optimum={props.limit * 4} value={props.used} />
  ) : (
    <meter aria-label={props.label} min={0} max={props.limit} high={props.limit * 0.8} optimum={0} value={Math.min(props.used, props.limit)} />
  );
}

/** Alarms in effect, prominently; nothing at all when none is set. */
export function Alarms(props: { node: Json | undefined }) {
  const node = props.node;
  if (node === undefined) return null;
  const alarms: string[] = [];
  if (node.mem_alarm === true) alarms.push(`Memory alarm: ${bytes(node.mem_used)} used, above the limit of ${bytes(node.mem_limit)}. Publishers are blocked.`);
  if (node.disk_free_alarm === true) alarms.push(`Disk alarm: ${bytes(node.disk_free)} free, below the limit of ${bytes(node.disk_free_limit)}. Publishers are blocked.`);
  if (alarms.length === 0) return null;
  return (
    <div class="ov-alarms" role="alert" aria-label="Alarms">
      {alarms.map((a) => (
        <p key={a}>{a}</p>
      ))}
    </div>
  );
}

export function NodeFigures(props: { node: Json | undefined; canMonitor: boolean }) {
  const node = props.node;
  if (!props.canMonitor) {
    return (
      <Section title="Node">
        <p class="muted">Node memory, disk and uptime are shown to users tagged monitoring or administrator.</p>
      </Section>
    );
  }
  if (node === undefined) return null;
  const memUsed = Number(node.mem_used);
  const memLimit = Number(node.mem_limit);
  const diskFree = Number(node.disk_free);
  const diskLimit = Number(node.disk_free_limit);
  return (
    <Section title="Node">
      <KeyValues
        rows={[
          ['Name', String(node.name ?? '')],
          ['Uptime', duration(node.uptime)],
          [
            'Memory',
            <span class="ov-usage">
              <Usage label="Memory used" used={memUsed} limit={memLimit} /> {bytes(memUsed)} used of {bytes(memLimit)} (alarm above)
            </span>,
          ],
          [
            'Disk',
            <span class="ov-usage">
              <Usage label="Disk free" used={diskFree} limit={diskLimit} low /> {bytes(diskFree)} free (alarm below {bytes(diskLimit)})
            </span>,
          ],
          ['Processors', num(node.processors)],
          ['File descriptors', `${num(node.fd_used)} of ${num(node.fd_total)}`],
        ]}
      />
    </Section>
  );
}

export function Listeners(props: { overview: Json }) {
  const listeners = Array.isArray(props.overview.listeners) ? props.overview.listeners.map(obj) : [];
  return (
    <Section title="Listeners">
      <table class="grid ov-listeners">
        <thead>
          <tr>
            <th scope="col">Protocol</th>
            <th scope="col">Address</th>
            <th scope="col" class="num">Port</th>
            <th scope="col">Node</th>
          </tr>
        </thead>
        <tbody>
          {listeners.length === 0 ? (
            <tr>
              <td colSpan={4} class="empty">
                No listeners
              </td>
            </tr>
          ) : (
            listeners.map((l, i) => (
              <tr key={i}>
                <td>{String(l.protocol ?? '')}</td>
                <td class="mono">{String(l.ip_address ?? '')}</td>
                <td class="num">{String(l.port ?? '')}</td>
                <td>{String(l.node ?? '')}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </Section>
  );
}
