/** What the queue list and the queue detail share: the queue's JSON shape and its feature badges. */
import { href } from '../lib/router';

export interface RateDetails {
  readonly rate?: number;
}

/** The fields of GET /api/queues[/{vh}[/{q}]] the pages read (RabbitMQ's shape). */
export interface QueueJson {
  readonly name: string;
  readonly vhost: string;
  readonly type?: string;
  readonly durable?: boolean;
  readonly auto_delete?: boolean;
  readonly exclusive?: boolean;
  readonly arguments?: Record<string, unknown>;
  readonly policy?: string | null;
  readonly operator_policy?: string | null;
  readonly state?: string;
  readonly messages?: number;
  readonly messages_ready?: number;
  readonly messages_unacknowledged?: number;
  readonly message_stats?: Record<string, unknown> & {
    readonly publish_details?: RateDetails;
    readonly deliver_get_details?: RateDetails;
    readonly ack_details?: RateDetails;
  };
}

export function queueHref(vhost: string, name: string): string {
  return href(['queues', vhost, name]);
}

/** Argument badges: the argument that sets each, and what the badge stands for. */
const ARGUMENT_BADGES: ReadonlyArray<readonly [label: string, keys: readonly string[], meaning: string]> = [
  ['TTL', ['x-message-ttl'], 'message TTL'],
  ['Exp', ['x-expires'], 'auto-expires'],
  ['DLX', ['x-dead-letter-exchange'], 'dead-letter exchange'],
  ['Lim', ['x-max-length', 'x-max-length-bytes'], 'length limit'],
  ['Pri', ['x-max-priority'], 'priorities'],
  ['SAC', ['x-single-active-consumer'], 'single active consumer'],
  ['DLim', ['x-delivery-limit'], 'delivery limit'],
  ['Dedup', ['x-message-deduplication'], 'de-duplication'],
];

/**
 * The queue's features as short badges, each with its meaning (and the argument's value) in a title: D durable, AD
 * auto-delete, Excl exclusive, then the arguments that change behaviour, then the policies that apply.
 */
export function Features(props: { queue: QueueJson }) {
  const q = props.queue;
  const args = q.arguments ?? {};
  const badges: Array<[string, string]> = [];
  if (q.durable === true) badges.push(['D', 'durable']);
  if (q.auto_delete === true) badges.push(['AD', 'auto-delete']);
  if (q.exclusive === true) badges.push(['Excl', 'exclusive']);
  for (const [label, keys, meaning] of ARGUMENT_BADGES) {
    const set = keys.filter((k) => args[k] !== undefined);
    if (set.length > 0) badges.push([label, `${meaning}: ${set.map((k) => `${k}=${JSON.stringify(args[k])}`).join(', ')}`]);
  }
  return (
    <span class="q-features">
      {badges.map(([label, title]) => (
        <abbr key={label} class="q-badge" title={title}>
          {label}
        </abbr>
      ))}
      {typeof q.policy === 'string' && (
        <span class="q-badge q-policy" title="policy">
          {q.policy}
        </span>
      )}
      {typeof q.operator_policy === 'string' && (
        <span class="q-badge q-policy" title="operator policy">
          {q.operator_policy}
        </span>
      )}
    </span>
  );
}
