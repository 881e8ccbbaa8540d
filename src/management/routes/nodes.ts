import { readdirSync, statfsSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import type { FastifyPluginAsync } from 'fastify';
import { requireMonitor } from '../auth';
import type { ManagementDeps } from '../deps';
import { ChurnStats } from '../../observability/stats';
import { Errors } from '../errors';
import { openFilesLimit } from '../../util/open-files';
import { exchangeTypes } from './overview';
import { nodeJson } from '../schemas/broker';
import { arrayOf, ok, params } from '../schemas/common';

/** Without an alarm monitor (an AdminService built without one): RabbitMQ 3.13's defaults. */
const DEFAULT_MEMORY_WATERMARK = 0.4;
const DEFAULT_DISK_FREE_LIMIT = 50_000_000;

/** RabbitMQ's default process limit (+P), shown as proc_total. */
const PROC_TOTAL = 1_048_576;

/**
 * The node's resource figures. fd_used: the entries of /proc/self/fd (0 where there is none), less the one the
 * listing itself opens. sockets_used: the open TCP sockets (AMQP and HTTP connections; in a library user's process,
 * its own client sockets too). proc_used, RabbitMQ's Erlang process count, has no Node counterpart: we count what
 * keeps the event loop busy, its active handles, requests and timers (process.getActiveResourcesInfo()).
 */
export function resourceFigures(
  listFds: () => string[] = () => readdirSync('/proc/self/fd'),
  resources: () => string[] = () => process.getActiveResourcesInfo(),
): { fd_used: number; fd_total: number; sockets_used: number; sockets_total: number; proc_used: number; proc_total: number } {
  let fdUsed = 0;
  try {
    fdUsed = Math.max(0, listFds().length - 1);
  } catch {
    fdUsed = 0;
  }
  const active = resources();
  const sockets = active.filter((r) => r === 'TCPSocketWrap' || r === 'TLSSocketWrap').length;
  const fdTotal = openFilesLimit() ?? PROC_TOTAL;
  return {
    fd_used: fdUsed,
    fd_total: fdTotal,
    sockets_used: sockets,
    sockets_total: fdTotal,
    proc_used: active.length,
    proc_total: PROC_TOTAL,
  };
}

/**
 * Node figures RabbitMQ's web UI charts (its node page) that belong to the Erlang VM, Mnesia, the message store and
 * its file handle cache; Leveret has none of them and reports them as 0 (spec/errata.md).
 */
const ERLANG_ONLY_COUNTERS = [
  'gc_bytes_reclaimed',
  'io_read_count',
  'io_read_bytes',
  'io_read_avg_time',
  'io_write_count',
  'io_write_bytes',
  'io_write_avg_time',
  'io_sync_count',
  'io_sync_avg_time',
  'io_seek_count',
  'io_seek_avg_time',
  'io_reopen_count',
  'mnesia_ram_tx_count',
  'mnesia_disk_tx_count',
  'msg_store_read_count',
  'msg_store_write_count',
  'queue_index_write_count',
  'queue_index_read_count',
] as const;

/** GET /api/nodes, /api/nodes/{name}: this process as RabbitMQ's one-node cluster (monitoring users only). */
export function nodeRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const describe = (): Record<string, unknown> => {
    const { node } = deps;
    // The alarm monitor's figures (observability/alarms.ts): the limits in force, and whether each alarm is on.
    const alarms = deps.admin.alarms().figures;
    const memUsed = alarms?.memUsed ?? process.memoryUsage.rss();
    let diskFree = alarms?.diskFree;
    if (diskFree === undefined) {
      try {
        const fs = statfsSync(process.cwd());
        diskFree = fs.bavail * fs.bsize;
      } catch {
        diskFree = 0;
      }
    }
    const rate = { rate: 0 };
    const figures = resourceFigures();
    return {
      name: node.name,
      type: 'disc',
      running: true,
      being_drained: false,
      uptime: Math.max(0, Date.now() - node.startedAt),
      run_queue: 0,
      processors: availableParallelism(),
      os_pid: String(process.pid),
      fd_used: figures.fd_used,
      fd_used_details: { ...rate },
      fd_total: figures.fd_total,
      sockets_used: figures.sockets_used,
      sockets_used_details: { ...rate },
      sockets_total: figures.sockets_total,
      proc_used: figures.proc_used,
      proc_used_details: { ...rate },
      proc_total: figures.proc_total,
      mem_used: memUsed,
      mem_used_details: { ...rate },
      mem_limit: alarms?.memLimit ?? Math.floor(totalmem() * DEFAULT_MEMORY_WATERMARK),
      mem_alarm: alarms?.memAlarm ?? false,
      disk_free: diskFree,
      disk_free_details: { ...rate },
      disk_free_limit: alarms?.diskFreeLimit ?? DEFAULT_DISK_FREE_LIMIT,
      disk_free_alarm: alarms?.diskFreeAlarm ?? false,
      rates_mode: 'basic',
      enabled_plugins: ['rabbitmq_management'],
      applications: [{ name: 'leveret', description: node.product, version: node.version }],
      exchange_types: exchangeTypes(deps),
      auth_mechanisms: [
        { name: 'PLAIN', description: 'SASL PLAIN authentication mechanism', enabled: true },
        { name: 'AMQPLAIN', description: 'QPid AMQPLAIN mechanism', enabled: true },
      ],
      contexts: [],
      partitions: [],
      cluster_links: [],
      log_files: [],
      config_files: [],
      net_ticktime: 60,
      gc_num: 0,
      gc_num_details: { ...rate },
      context_switches: 0,
      context_switches_details: { ...rate },
      // The Erlang VM's, Mnesia's and the message store's own counters: no equivalent here, RabbitMQ's shape at 0.
      ...Object.fromEntries(ERLANG_ONLY_COUNTERS.flatMap((name) => [[name, 0], [`${name}_details`, { ...rate }]])),
      // Connections, channels and queues created and closed: the broker's own churn counters.
      ...(deps.churn ?? new ChurnStats()).toJSON(),
    };
  };
  return async (app) => {
    // In an active/standby group, the other nodes follow this one (which is the active node: standbys answer elsewhere).
    const all = (): Record<string, unknown>[] =>
      deps.node.ha === undefined ? [describe()] : [{ ...describe(), leveret_role: 'active' }, ...deps.node.ha.otherNodes()];
    app.get('/nodes', { onRequest: requireMonitor, schema: { response: ok(arrayOf(nodeJson)) } }, async () => all());
    app.get<{ Params: { name: string } }>(
      '/nodes/:name',
      { onRequest: requireMonitor, schema: { params: params(['name']), response: ok(nodeJson) } },
      async (request) => {
        const found = all().find((n) => n.name === request.params.name);
        if (found === undefined) throw Errors.objectNotFound();
        return found;
      },
    );
  };
}
