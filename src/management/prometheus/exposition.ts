/*
 * Prometheus text exposition (format 0.0.4) with rabbitmq_prometheus' metric names, types, HELP texts and labels
 * (RabbitMQ 3.10's core and global collectors; shared/reference/management-api.md §2.5). Three endpoints:
 *
 * - /metrics (aggregated): node families (identity, build, object counts, churn, process figures), the global
 *   counters, and every object family as one unlabelled sample, the sum over all objects.
 * - /metrics/per-object: the same, but queue, exchange, channel and connection families have one sample per object
 *   (labels vhost + queue / exchange / channel / connection).
 * - /metrics/detailed?family=...&vhost=...: only the families asked for (RabbitMQ's family groups, DETAILED_FAMILIES),
 *   per object, named rabbitmq_detailed_* (rabbitmq_cluster_* for vhost_status, exchange_names, exchange_bindings);
 *   `vhost` keeps the objects of those vhosts. Identity and build info always.
 *
 * Aggregated channel counters and the global counters come from the broker-wide MessageStats, so they keep counting
 * after a channel closes (per-object channel counters only cover open channels, as in RabbitMQ). Queue and exchange
 * counters cover the objects that exist now.
 *
 * Where RabbitMQ's figure is Erlang's own (reductions, Erlang processes, GC, schedulers, mnesia, raft, IO ops of
 * its message store) there is no family. Node-equivalent figures: open fds from /proc/self/fd, max fds from
 * /proc/self/limits, resident memory from process.memoryUsage.rss(), uptime from process.uptime(), disk space from
 * statfs of the working directory. Differences from RabbitMQ 3.10 (each is a figure Leveret does not split):
 * the global counters carry `protocol` but not `queue_type`; per-object channel counters are labelled
 * vhost + channel (one sample per channel), not split per exchange or queue; dead_lettered counters carry
 * dead_letter_strategy="at_most_once" only (a message dropped without a dead-letter exchange is not counted);
 * alarms are always 0 (Leveret blocks no publishers on memory or disk).
 */

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge';

export interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  /** Full name, prefix included; counters end in _total. */
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly Sample[];
}

export const PREFIX = 'rabbitmq_';

/** Renders families as exposition text. Families without samples are left out. */
export function renderExposition(families: readonly MetricFamily[]): string {
  let out = '';
  for (const family of families) {
    if (family.samples.length === 0) continue;
    out += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
    for (const sample of family.samples) out += `${family.name}${renderLabels(sample.labels)} ${formatValue(sample.value)}\n`;
  }
  return out;
}

function renderLabels(labels: Readonly<Record<string, string>> | undefined): string {
  if (labels === undefined) return '';
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k] as string)}"`).join(',')}}`;
}

export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
