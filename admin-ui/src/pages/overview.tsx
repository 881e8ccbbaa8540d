/*
 * The overview (`#/`): what the broker is doing now and over the chosen range (`?range=`, RangeSelect), what it holds,
 * the node's resources and alarms, the listeners, its version and uptime; definitions export and import for
 * administrators. Every user with a management tag sees it, with what the API gives them: /api/nodes only for
 * monitoring users and administrators, so others are not sent there (it would answer 401).
 */
import type { PageProps } from '../routes';
import { rangeOf, rangeQuery } from '../components/chart';
import { ErrorBox, PageTitle } from '../components/ui';
import { api, apiPath } from '../lib/api';
import { duration } from '../lib/format';
import { useLive } from '../lib/live';
import { can } from '../lib/session';
import { Definitions } from './definitions';
import { Alarms, Charts, Listeners, NodeFigures, Totals, obj, type Json } from './overview-parts';

interface Loaded {
  readonly overview: Json;
  readonly node: Json | undefined;
}

async function load(query: Record<string, string>, monitor: boolean): Promise<Loaded> {
  const [overview, nodes] = await Promise.all([
    api.get<Json>(apiPath(['overview'], query)),
    monitor ? api.get<unknown[]>(apiPath(['nodes'])) : Promise.resolve(undefined),
  ]);
  return { overview, node: Array.isArray(nodes) && nodes.length > 0 ? obj(nodes[0]) : undefined };
}

function Version(props: { overview: Json; node: Json | undefined }) {
  const { overview, node } = props;
  return (
    <p class="ov-version" aria-label="Version">
      <span>
        {String(overview.product_name ?? 'Leveret')} {String(overview.product_version ?? '')}
      </span>
      <span class="muted"> · RabbitMQ-compatible {String(overview.rabbitmq_version ?? '')}</span>
      {typeof overview.erlang_version === 'string' && <span class="muted"> · Node.js {overview.erlang_version}</span>}
      {node !== undefined && <span class="muted"> · up {duration(node.uptime)}</span>}
      {typeof overview.cluster_name === 'string' && <span class="muted"> · {overview.cluster_name}</span>}
    </p>
  );
}

export default function Page(props: PageProps) {
  const range = rangeOf(props.route.query);
  const query = rangeQuery(range);
  const monitor = can.monitor.value;
  const live = useLive(() => load(query, monitor), `${range.id} ${String(monitor)}`);
  const data = live.data;
  return (
    <div class="overview">
      <PageTitle title="Overview">{data !== undefined && <Version overview={data.overview} node={data.node} />}</PageTitle>
      <ErrorBox error={live.error} />
      {data === undefined ? (
        live.error === undefined && <p class="muted">Loading…</p>
      ) : (
        <>
          <Alarms node={data.node} />
          <Totals overview={data.overview} />
          <Charts overview={data.overview} range={range.id} />
          <NodeFigures node={data.node} canMonitor={monitor} />
          <Listeners overview={data.overview} />
        </>
      )}
      {can.admin.value && <Definitions />}
    </div>
  );
}
