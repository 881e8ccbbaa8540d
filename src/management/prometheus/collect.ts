import type { ManagementDeps } from '../deps';
import { PREFIX, type MetricFamily } from './exposition';
import { churnFamilies, family, globalFamilies, infoFamilies, nodeFamilies } from './node';
import { CHANNEL_EXCHANGE, CHANNEL_QUEUE, CLUSTER_GROUPS, GROUPS } from './objects';

/** Every family name /metrics/detailed accepts in `family=`. */
export const DETAILED_FAMILIES: readonly string[] = [
  'connection_churn_metrics',
  ...GROUPS.map(([name]) => name),
  ...CLUSTER_GROUPS.map(([name]) => name),
];

/** Every metric family of the broker now, aggregated (/metrics) or per object (/metrics/per-object). */
export function collectMetrics(deps: ManagementDeps, perObject: boolean): MetricFamily[] {
  const snap = deps.admin.metricsSnapshot();
  const families: MetricFamily[] = [
    ...infoFamilies(deps, perObject ? 'per-object' : 'aggregated'),
    ...nodeFamilies(deps, snap),
    ...churnFamilies(deps, PREFIX),
    ...globalFamilies(deps, snap),
  ];
  for (const [name, group] of GROUPS) {
    if (!perObject && (name === 'channel_exchange_metrics' || name === 'channel_queue_metrics')) {
      // Aggregated channel counters read the broker-wide stats, which outlive closed channels.
      const stats = deps.stats;
      const names = name === 'channel_exchange_metrics' ? CHANNEL_EXCHANGE : CHANNEL_QUEUE;
      for (const [metric, help, key] of names) families.push(family(PREFIX + metric, help, 'counter', stats[key]));
      continue;
    }
    families.push(...group(snap, PREFIX, perObject));
  }
  return families;
}

/** /metrics/detailed: the families asked for, per object, of the vhosts asked for (all when none). */
export function collectDetailed(deps: ManagementDeps, query: { families: readonly string[]; vhosts: readonly string[] }): MetricFamily[] {
  const wanted = new Set(query.families);
  const snap = deps.admin.metricsSnapshot(query.vhosts.length > 0 ? new Set(query.vhosts) : undefined);
  const families = infoFamilies(deps, 'detailed');
  const prefix = `${PREFIX}detailed_`;
  if (wanted.has('connection_churn_metrics')) families.push(...churnFamilies(deps, prefix));
  for (const [name, group] of GROUPS) if (wanted.has(name)) families.push(...group(snap, prefix, true));
  for (const [name, make] of CLUSTER_GROUPS) if (wanted.has(name)) families.push(make(snap));
  return families;
}
