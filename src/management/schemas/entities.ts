import {
  ANY,
  ARGUMENTS,
  arrayOf,
  BOOLEAN,
  BOOLEANISH,
  NULLABLE_STRING,
  NUMBER,
  object,
  OPEN_OBJECT,
  STRING,
  STRINGS,
  type JsonSchema,
} from './common';
import { healthJson } from './health';

/*
 * Vhosts, exchanges, queues and bindings: RabbitMQ's field names (shared/reference/management-api.md, 2.3) as
 * admin/views/ builds them.
 */

/** `messages`, `messages_ready`, `messages_unacknowledged` with their `_details`. */
const LENGTHS: Record<string, JsonSchema> = {
  messages: NUMBER,
  messages_details: OPEN_OBJECT,
  messages_ready: NUMBER,
  messages_ready_details: OPEN_OBJECT,
  messages_unacknowledged: NUMBER,
  messages_unacknowledged_details: OPEN_OBJECT,
};

export const vhostJson = object({
  name: STRING,
  description: STRING,
  tags: STRINGS,
  default_queue_type: STRING,
  metadata: OPEN_OBJECT,
  tracing: BOOLEAN,
  cluster_state: OPEN_OBJECT,
  ...LENGTHS,
  message_stats: OPEN_OBJECT,
  recv_oct: NUMBER,
  recv_oct_details: OPEN_OBJECT,
  send_oct: NUMBER,
  send_oct_details: OPEN_OBJECT,
});

export const exchangeJson = object({
  name: STRING,
  vhost: STRING,
  type: STRING,
  durable: BOOLEAN,
  auto_delete: BOOLEAN,
  internal: BOOLEAN,
  arguments: ARGUMENTS,
  user_who_performed_action: STRING,
  message_stats: OPEN_OBJECT,
  incoming: ANY,
  outgoing: ANY,
});

export const queueJson = object({
  consumer_details: arrayOf(OPEN_OBJECT),
  deliveries: ANY,
  incoming: ANY,
  name: STRING,
  vhost: STRING,
  durable: BOOLEAN,
  auto_delete: BOOLEAN,
  exclusive: BOOLEAN,
  arguments: ARGUMENTS,
  type: STRING,
  policy: NULLABLE_STRING,
  operator_policy: NULLABLE_STRING,
  effective_policy_definition: ANY,
  state: STRING,
  node: STRING,
  recoverable_slaves: ANY,
  consumers: NUMBER,
  consumer_capacity: NUMBER,
  consumer_utilisation: NUMBER,
  exclusive_consumer_tag: NULLABLE_STRING,
  single_active_consumer_tag: NULLABLE_STRING,
  head_message_timestamp: ANY,
  ...LENGTHS,
  messages_ram: NUMBER,
  messages_ready_ram: NUMBER,
  messages_unacknowledged_ram: NUMBER,
  messages_paged_out: NUMBER,
  messages_persistent: NUMBER,
  message_bytes: NUMBER,
  message_bytes_ready: NUMBER,
  message_bytes_unacknowledged: NUMBER,
  message_bytes_ram: NUMBER,
  message_bytes_paged_out: NUMBER,
  message_bytes_persistent: NUMBER,
  memory: NUMBER,
  backing_queue_status: OPEN_OBJECT,
  garbage_collection: OPEN_OBJECT,
  reductions: NUMBER,
  reductions_details: OPEN_OBJECT,
  message_stats: OPEN_OBJECT,
  idle_since: STRING,
  leveret_health: healthJson,
});

export const bindingJson = object({
  source: STRING,
  vhost: STRING,
  destination: STRING,
  destination_type: STRING,
  routing_key: STRING,
  arguments: ARGUMENTS,
  properties_key: STRING,
});

// ---- request bodies --------------------------------------------------------------------------------

export interface VhostBody {
  description?: string;
  tags?: string | string[];
  default_queue_type?: string;
  defaultqueuetype?: string;
  tracing?: boolean | string;
}

export const vhostBody = {
  type: 'object',
  properties: {
    description: STRING,
    tags: { anyOf: [STRING, STRINGS] },
    default_queue_type: STRING,
    defaultqueuetype: STRING,
    tracing: { anyOf: [BOOLEAN, STRING] },
  },
} as const;

type Booleanish = boolean | 'true' | 'false';

export interface ExchangeBody {
  type?: string;
  durable?: Booleanish;
  auto_delete?: Booleanish;
  internal?: Booleanish;
  arguments?: Record<string, unknown>;
}

export const exchangeBody = {
  type: 'object',
  properties: {
    type: { type: 'string', minLength: 1 },
    durable: BOOLEANISH,
    auto_delete: BOOLEANISH,
    internal: BOOLEANISH,
    arguments: ARGUMENTS,
  },
} as const;

export interface QueueBody {
  durable?: Booleanish;
  auto_delete?: Booleanish;
  arguments?: Record<string, unknown>;
  node?: string;
}

export const queueBody = {
  type: 'object',
  properties: {
    durable: BOOLEANISH,
    auto_delete: BOOLEANISH,
    arguments: ARGUMENTS,
    node: STRING,
  },
} as const;

export interface BindingBody {
  routing_key?: string;
  arguments?: Record<string, unknown>;
}

export const bindingBody = {
  type: 'object',
  properties: { routing_key: STRING, arguments: ARGUMENTS },
} as const;
