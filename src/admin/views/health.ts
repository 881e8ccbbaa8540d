import { queueHistory, type History } from '../../observability/history';
import type { Queue } from '../../queue/queue';

/*
 * Queue health (issue 15): which queue is falling behind. Three figures per queue and a state derived from them,
 * in every queue view as `leveret_health` (a name RabbitMQ's fields cannot collide with), in
 * GET /api/leveret/health/queues (worst first) and in the Prometheus output.
 *
 *   oldest_ready_age_ms   now minus the arrival in this queue of the oldest ready message; 0 when none is ready.
 *                         Entries paged out to the store carry their arrival to within a second (queue/arrivals.ts);
 *                         messages recovered from the store at start count from the recovery.
 *   consumer_utilisation  consumer_capacity (the share of the last minute's samples in which consumers could take a
 *                         message at once), the same figure as the view's consumer_utilisation.
 *   time_to_empty_s       ready messages / net drain rate, the net drain being what left the queue for good (acks,
 *                         no-ack deliveries and gets) minus what was published to it, per second over the last
 *                         minute of the queue's sample history. 0 when nothing is ready; null when the queue is not
 *                         draining: no consumers, it grows or holds steady, or there is no minute of history yet.
 *
 * States, the first that applies:
 *   ok            nothing is ready, or it is going out in time (none of the below);
 *   no_consumers  messages are ready and the queue has no consumer;
 *   stalled       messages are ready, consumers exist, and none left the queue over the history window (at least
 *                 one sample interval) while the oldest ready one waited through all of it;
 *   backlog       the oldest ready message waited BACKLOG_AGE_MS or more, or emptying will take more than
 *                 BACKLOG_EMPTY_S seconds at the current drain rate.
 */

export type HealthState = 'ok' | 'backlog' | 'stalled' | 'no_consumers';

/** Worst first: the order of GET /api/leveret/health/queues. */
export const HEALTH_STATES: readonly HealthState[] = ['stalled', 'no_consumers', 'backlog', 'ok'];

export interface QueueHealth {
  oldest_ready_age_ms: number;
  consumer_utilisation: number;
  time_to_empty_s: number | null;
  state: HealthState;
}

/** The view fields sortable without building the view (admin/entities.ts QUEUE_CHEAP_FIELDS). */
export const HEALTH_FIELDS = ['oldest_ready_age_ms', 'consumer_utilisation', 'time_to_empty_s', 'state'] as const;

export const BACKLOG_AGE_MS = 60_000;
export const BACKLOG_EMPTY_S = 60;
/** The span of history the drain rate is read over. */
export const DRAIN_WINDOW_MS = 60_000;

/** What the estimate and the state rules read, gathered from a queue (or given by a test). */
export interface HealthInputs {
  readonly ready: number;
  readonly consumers: number;
  /** now - arrival of the oldest ready message; 0 when none is ready. */
  readonly oldestAgeMs: number;
  /** Messages leaving the queue for good, per second, over `windowSeconds`. */
  readonly outflowRate: number;
  /** Messages published to the queue, per second, over `windowSeconds`. */
  readonly inflowRate: number;
  /** Seconds of history the rates cover; 0 when there are fewer than two samples. */
  readonly windowSeconds: number;
}

/** Seconds until the ready messages are gone at the net drain rate; 0 when empty, null when not draining. */
export function timeToEmpty(h: HealthInputs): number | null {
  if (h.ready === 0) return 0;
  if (h.consumers === 0 || h.windowSeconds <= 0) return null;
  const net = h.outflowRate - h.inflowRate;
  if (!(net > 0)) return null;
  return Math.round((h.ready / net) * 10) / 10;
}

export function healthState(h: HealthInputs, timeToEmptyS: number | null): HealthState {
  if (h.ready === 0) return 'ok';
  if (h.consumers === 0) return 'no_consumers';
  if (h.windowSeconds > 0 && h.outflowRate === 0 && h.oldestAgeMs >= h.windowSeconds * 1000) return 'stalled';
  if (h.oldestAgeMs >= BACKLOG_AGE_MS || (timeToEmptyS !== null && timeToEmptyS > BACKLOG_EMPTY_S)) return 'backlog';
  return 'ok';
}

/** consumer_capacity / consumer_utilisation: the mean of the last minute's samples; without any, 1 when nothing waits. */
export function consumerCapacity(queue: Queue, history: History | undefined): number {
  if (queue.consumerCount === 0) return 0;
  return history?.mean('consumer_capacity') ?? (queue.messageCount === 0 ? 1 : 0);
}

const OUTFLOW = ['ack', 'deliver_no_ack', 'get_no_ack'] as const;

export function healthInputs(queue: Queue, history: History | undefined, now: number): HealthInputs {
  const ready = queue.messageCount;
  const age = healthField(queue, 'oldest_ready_age_ms', now) as number;
  let outflowRate = 0;
  let inflowRate = 0;
  let windowSeconds = 0;
  if (history !== undefined) {
    for (const name of OUTFLOW) {
      const r = history.rateOver(name, DRAIN_WINDOW_MS);
      outflowRate += r.rate;
      windowSeconds = r.seconds;
    }
    inflowRate = history.rateOver('publish', DRAIN_WINDOW_MS).rate;
  }
  return {
    ready,
    consumers: queue.consumerCount,
    oldestAgeMs: age,
    outflowRate,
    inflowRate,
    windowSeconds,
  };
}

/** A queue's `leveret_health`; `now` in ms since the epoch. */
export function queueHealth(queue: Queue, now: number, history = queueHistory(queue)): QueueHealth {
  const inputs = healthInputs(queue, history, now);
  const tte = timeToEmpty(inputs);
  return {
    oldest_ready_age_ms: inputs.oldestAgeMs,
    consumer_utilisation: consumerCapacity(queue, history),
    time_to_empty_s: tte,
    state: healthState(inputs, tte),
  };
}

/** One field of a queue's `leveret_health`, computing only what it needs (a listing sorts 10,000 queues by it). */
export function healthField(queue: Queue, field: string, now: number): unknown {
  switch (field) {
    case 'oldest_ready_age_ms': {
      const arrival = queue.messageCount === 0 ? undefined : queue.oldestReadyArrival;
      return arrival === undefined ? 0 : Math.max(0, now - arrival);
    }
    case 'consumer_utilisation':
      return consumerCapacity(queue, queueHistory(queue));
    default:
      return queueHealth(queue, now)[field as keyof QueueHealth];
  }
}

/** Worst first: by state (HEALTH_STATES), then the oldest ready message, the oldest first. */
export function compareHealth(a: QueueHealth, b: QueueHealth): number {
  return HEALTH_STATES.indexOf(a.state) - HEALTH_STATES.indexOf(b.state) || b.oldest_ready_age_ms - a.oldest_ready_age_ms;
}

/** A row of GET /api/leveret/health/queues. */
export interface QueueHealthRow {
  name: string;
  vhost: string;
  messages_ready: number;
  consumers: number;
  leveret_health: QueueHealth;
}

/** What GET /api/leveret/health/queues sorts by: `worst` (the default: state, then age), or one figure, worst first. */
export const HEALTH_SORTS = ['worst', ...HEALTH_FIELDS] as const;
export type HealthSort = (typeof HEALTH_SORTS)[number];

export function healthRow(queue: Queue, now: number): QueueHealthRow {
  return {
    name: queue.name,
    vhost: queue.vhost,
    messages_ready: queue.messageCount,
    consumers: queue.consumerCount,
    leveret_health: queueHealth(queue, now),
  };
}

/**
 * Worst first by `sort`: the oldest ready message the oldest first; time to empty the longest first, queues not
 * draining (null) with messages ready before all, empty ones last; utilisation the lowest first; state as worst.
 * Ties go by vhost and name.
 */
export function rankHealth(rows: QueueHealthRow[], sort: HealthSort): QueueHealthRow[] {
  const key = (h: QueueHealth, ready: number): number => {
    switch (sort) {
      case 'oldest_ready_age_ms':
        return -h.oldest_ready_age_ms;
      case 'time_to_empty_s':
        return h.time_to_empty_s === null ? (ready > 0 ? -Infinity : 0) : -h.time_to_empty_s;
      case 'consumer_utilisation':
        return h.consumer_utilisation;
      default:
        return 0;
    }
  };
  const byName = (a: QueueHealthRow, b: QueueHealthRow): number =>
    a.vhost < b.vhost ? -1 : a.vhost > b.vhost ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  const keyed = rows.map((row) => ({ row, k: key(row.leveret_health, row.messages_ready) }));
  keyed.sort((a, b) => {
    if (sort === 'worst' || sort === 'state') {
      const c = compareHealth(a.row.leveret_health, b.row.leveret_health);
      if (c !== 0) return c;
    } else if (a.k !== b.k) return a.k < b.k ? -1 : 1;
    return byName(a.row, b.row);
  });
  return keyed.map((x) => x.row);
}
