import {
  ANY,
  arrayOf,
  BOOLEAN,
  namedFields,
  NULLABLE_STRING,
  NUMBER,
  object,
  OPEN_OBJECT,
  STRING,
  STRINGS,
} from './common';

/*
 * The node, the overview, connections, channels, consumers, messages, definitions, health checks and Leveret's
 * quarantine: RabbitMQ's field names (Leveret's own under /api/leveret/).
 */

const exchangeType = object({ name: STRING, description: STRING, enabled: BOOLEAN });

export const overviewJson = object({
  management_version: STRING,
  rates_mode: STRING,
  sample_retention_policies: OPEN_OBJECT,
  exchange_types: arrayOf(exchangeType),
  product_version: STRING,
  product_name: STRING,
  rabbitmq_version: STRING,
  cluster_name: STRING,
  cluster_tags: ANY,
  node_tags: ANY,
  erlang_version: STRING,
  erlang_full_version: STRING,
  crypto_lib_version: STRING,
  release_series_support_status: STRING,
  disable_stats: BOOLEAN,
  default_queue_type: STRING,
  is_op_policy_updating_enabled: BOOLEAN,
  enable_queue_totals: BOOLEAN,
  require_definition_json_extension: BOOLEAN,
  message_stats: OPEN_OBJECT,
  churn_rates: OPEN_OBJECT,
  queue_totals: OPEN_OBJECT,
  object_totals: object({ channels: NUMBER, connections: NUMBER, consumers: NUMBER, exchanges: NUMBER, queues: NUMBER }),
  statistics_db_event_queue: NUMBER,
  node: STRING,
  listeners: arrayOf(object({ node: STRING, protocol: STRING, ip_address: STRING, port: NUMBER, socket_opts: OPEN_OBJECT })),
  contexts: ANY,
  leveret_limits: OPEN_OBJECT,
});

export const whoamiJson = object({ name: STRING, tags: STRINGS, is_internal_user: BOOLEAN });

/** The node's figures; the Erlang-only counters and churn counters are further fields of the same open object. */
export const nodeJson = object({
  name: STRING,
  type: STRING,
  running: BOOLEAN,
  being_drained: BOOLEAN,
  uptime: NUMBER,
  run_queue: NUMBER,
  processors: NUMBER,
  os_pid: STRING,
  fd_used: NUMBER,
  fd_total: NUMBER,
  sockets_used: NUMBER,
  sockets_total: NUMBER,
  proc_used: NUMBER,
  proc_total: NUMBER,
  mem_used: NUMBER,
  mem_limit: NUMBER,
  mem_alarm: BOOLEAN,
  disk_free: NUMBER,
  disk_free_limit: NUMBER,
  disk_free_alarm: BOOLEAN,
  rates_mode: STRING,
  enabled_plugins: STRINGS,
  applications: arrayOf(OPEN_OBJECT),
  exchange_types: arrayOf(exchangeType),
  auth_mechanisms: arrayOf(OPEN_OBJECT),
  contexts: ANY,
  partitions: ANY,
  cluster_links: ANY,
  log_files: ANY,
  config_files: ANY,
  net_ticktime: NUMBER,
});

export const connectionJson = object({
  name: STRING,
  node: STRING,
  state: STRING,
  type: STRING,
  protocol: STRING,
  user: STRING,
  user_who_performed_action: STRING,
  vhost: STRING,
  host: STRING,
  port: NUMBER,
  peer_host: STRING,
  peer_port: NUMBER,
  ssl: BOOLEAN,
  ssl_protocol: NULLABLE_STRING,
  ssl_key_exchange: NULLABLE_STRING,
  ssl_cipher: NULLABLE_STRING,
  ssl_hash: NULLABLE_STRING,
  peer_cert_subject: NULLABLE_STRING,
  peer_cert_issuer: NULLABLE_STRING,
  peer_cert_validity: NULLABLE_STRING,
  auth_mechanism: STRING,
  timeout: NUMBER,
  frame_max: NUMBER,
  channel_max: NUMBER,
  client_properties: OPEN_OBJECT,
  user_provided_name: NULLABLE_STRING,
  connected_at: NUMBER,
  channels: NUMBER,
  recv_oct: NUMBER,
  recv_oct_details: OPEN_OBJECT,
  send_oct: NUMBER,
  send_oct_details: OPEN_OBJECT,
  recv_cnt: NUMBER,
  send_cnt: NUMBER,
  send_pend: NUMBER,
  message_stats: OPEN_OBJECT,
});

export const consumerJson = object({
  consumer_tag: STRING,
  queue: OPEN_OBJECT,
  channel_details: OPEN_OBJECT,
  ack_required: BOOLEAN,
  exclusive: BOOLEAN,
  prefetch_count: NUMBER,
  arguments: OPEN_OBJECT,
  active: BOOLEAN,
  activity_status: STRING,
  consumer_timeout: NUMBER,
});

export const channelJson = object({
  name: STRING,
  number: NUMBER,
  node: STRING,
  vhost: STRING,
  user: STRING,
  user_who_performed_action: STRING,
  state: STRING,
  connection_details: OPEN_OBJECT,
  consumer_count: NUMBER,
  confirm: BOOLEAN,
  transactional: BOOLEAN,
  prefetch_count: NUMBER,
  global_prefetch_count: NUMBER,
  messages_unacknowledged: NUMBER,
  messages_unconfirmed: NUMBER,
  messages_uncommitted: NUMBER,
  acks_uncommitted: NUMBER,
  pending_raft_commands: NUMBER,
  client_flow_blocked: BOOLEAN,
  message_stats: OPEN_OBJECT,
  consumer_details: arrayOf(consumerJson),
  publishes: ANY,
  deliveries: ANY,
});

/** POST .../get: one message as RabbitMQ's rabbit_mgmt_wm_queue_get shows it (properties: an object, or []). */
export const gotMessageJson = object({
  payload_bytes: NUMBER,
  redelivered: BOOLEAN,
  exchange: STRING,
  routing_key: STRING,
  message_count: NUMBER,
  properties: ANY,
  payload: STRING,
  payload_encoding: STRING,
});

export const routedJson = object({ routed: BOOLEAN });

export const quarantineJson = object({
  total: NUMBER,
  items: arrayOf(
    object({
      id: NUMBER,
      vhost: STRING,
      queue: STRING,
      reason: STRING,
      at: NUMBER,
      exchange: STRING,
      routing_key: STRING,
      properties: ANY,
      properties_base64: STRING,
      properties_problem: STRING,
      payload_bytes: NUMBER,
      payload: STRING,
      payload_encoding: STRING,
    }),
  ),
});

/** A definitions file: its sections are lists of open objects (RabbitMQ's keys, see admin/definitions/). */
export const definitionsJson = object({
  rabbit_version: STRING,
  rabbitmq_version: STRING,
  product_name: STRING,
  product_version: STRING,
  users: arrayOf(OPEN_OBJECT),
  vhosts: arrayOf(OPEN_OBJECT),
  permissions: arrayOf(OPEN_OBJECT),
  topic_permissions: arrayOf(OPEN_OBJECT),
  parameters: arrayOf(OPEN_OBJECT),
  global_parameters: arrayOf(OPEN_OBJECT),
  policies: arrayOf(OPEN_OBJECT),
  queues: arrayOf(OPEN_OBJECT),
  exchanges: arrayOf(OPEN_OBJECT),
  bindings: arrayOf(OPEN_OBJECT),
});

/** 200 of a health check; a failing one answers 503 with its reason, which no schema touches. */
export const healthJson = object({ status: STRING });

export const clusterNameJson = object({ name: STRING });

export const featureFlagJson = object({
  name: STRING,
  desc: STRING,
  doc_url: STRING,
  state: STRING,
  stability: STRING,
  provided_by: STRING,
});

// ---- request bodies --------------------------------------------------------------------------------

/** POST .../publish, checked by the handler with RabbitMQ's texts (key_missing, payload_not_string...). */
export interface PublishBody {
  routing_key?: unknown;
  properties?: unknown;
  payload?: unknown;
  payload_encoding?: unknown;
}

export const publishBody = namedFields(['routing_key', 'properties', 'payload', 'payload_encoding']);

/** POST .../get, checked by the handler with RabbitMQ's texts. */
export interface GetBody {
  ackmode?: unknown;
  count?: unknown;
  encoding?: unknown;
  truncate?: unknown;
}

export const getBody = namedFields(['ackmode', 'count', 'encoding', 'truncate']);

export interface ClusterNameBody {
  name?: string;
}

export const clusterNameBody = { type: 'object', properties: { name: { type: 'string', minLength: 1 } } } as const;
