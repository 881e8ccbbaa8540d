import { StoreError } from '../errors';
import { connectClient, describe } from './connect';

/*
 * The PostgreSQL schema, as an ordered list of migrations; leveret_schema holds how many have been applied.
 * ensureSchema runs them in one transaction that first takes a transaction-scoped advisory lock, so two nodes that
 * start at once migrate one after the other (the second finds the work done). Never edit a released migration:
 * append a new one.
 *
 * Every table is prefixed leveret_ (the database may hold other applications' tables). Message names (exchange,
 * routing key) are bytea: a publisher may send bytes that are not UTF-8, which text could not hold exactly. Times
 * (ms since the epoch) are double precision: the Store takes any number, fractions included, as SQLite keeps them.
 * leveret_leader and leveret_nodes belong to active/standby (src/ha); the store only creates them, and checks the
 * leader row's epoch in every write transaction when it is fenced.
 */

/** The advisory lock key of migrations ('LVRT' as an int). */
const MIGRATION_LOCK = 0x4c565254;

export const MIGRATIONS: readonly string[] = [
  // 1: everything the SQLite store keeps, plus the HA tables and the store's own state.
  `
  CREATE TABLE leveret_leader (
    id    smallint PRIMARY KEY CHECK (id = 1),
    epoch bigint NOT NULL,
    node  text NOT NULL,
    since timestamptz NOT NULL
  );
  INSERT INTO leveret_leader (id, epoch, node, since) VALUES (1, 0, '', now());
  CREATE TABLE leveret_nodes (
    name       text PRIMARY KEY,
    role       text NOT NULL,
    amqp       text NOT NULL,
    http       text NOT NULL,
    started_at timestamptz NOT NULL,
    seen_at    timestamptz NOT NULL
  );
  CREATE TABLE leveret_meta (
    key   text PRIMARY KEY,
    value bigint NOT NULL
  );
  CREATE TABLE leveret_last_batch (
    id     smallint PRIMARY KEY CHECK (id = 1),
    writer text NOT NULL,
    seq    bigint NOT NULL
  );
  INSERT INTO leveret_last_batch (id, writer, seq) VALUES (1, '', 0);
  CREATE TABLE leveret_vhosts (
    name               text PRIMARY KEY,
    description        text NOT NULL,
    tags               text NOT NULL,
    default_queue_type text
  );
  CREATE TABLE leveret_users (
    name              text PRIMARY KEY,
    password_hash     text NOT NULL,
    hashing_algorithm text NOT NULL,
    tags              text NOT NULL
  );
  CREATE TABLE leveret_permissions (
    user_name    text NOT NULL,
    vhost        text NOT NULL,
    configure_re text NOT NULL,
    write_re     text NOT NULL,
    read_re      text NOT NULL,
    PRIMARY KEY (user_name, vhost)
  );
  CREATE INDEX leveret_permissions_by_vhost ON leveret_permissions (vhost);
  CREATE TABLE leveret_exchanges (
    vhost       text NOT NULL,
    name        text NOT NULL,
    type        text NOT NULL,
    durable     boolean NOT NULL,
    auto_delete boolean NOT NULL,
    internal    boolean NOT NULL,
    arguments   bytea NOT NULL,
    PRIMARY KEY (vhost, name)
  );
  CREATE TABLE leveret_queues (
    id          integer PRIMARY KEY,
    vhost       text NOT NULL,
    name        text NOT NULL,
    durable     boolean NOT NULL,
    auto_delete boolean NOT NULL,
    arguments   bytea NOT NULL,
    last_seq    bigint NOT NULL DEFAULT 0,
    entry_count bigint NOT NULL DEFAULT 0,
    entry_bytes bigint NOT NULL DEFAULT 0,
    UNIQUE (vhost, name)
  );
  CREATE TABLE leveret_bindings (
    vhost            text NOT NULL,
    source           text NOT NULL,
    destination_kind text NOT NULL,
    destination      text NOT NULL,
    routing_key      text NOT NULL,
    arguments_key    bytea NOT NULL,
    arguments        bytea NOT NULL,
    PRIMARY KEY (vhost, source, destination_kind, destination, routing_key, arguments_key)
  );
  CREATE INDEX leveret_bindings_by_destination ON leveret_bindings (vhost, destination_kind, destination);
  CREATE TABLE leveret_messages (
    id          bigint PRIMARY KEY,
    exchange    bytea NOT NULL,
    routing_key bytea NOT NULL,
    properties  bytea NOT NULL,
    body        bytea NOT NULL,
    refcount    integer NOT NULL
  );
  CREATE TABLE leveret_queue_entries (
    queue_id    integer NOT NULL,
    seq         bigint NOT NULL,
    message_id  bigint NOT NULL,
    size        integer NOT NULL,
    redelivered boolean NOT NULL DEFAULT false,
    expires_at  double precision NOT NULL DEFAULT 0,
    priority    smallint,
    PRIMARY KEY (queue_id, seq)
  );
  CREATE INDEX leveret_queue_entries_by_expiry ON leveret_queue_entries (queue_id, expires_at, seq) WHERE expires_at > 0;
  CREATE INDEX leveret_queue_entries_by_priority ON leveret_queue_entries (queue_id, priority, seq) WHERE priority IS NOT NULL;
  CREATE TABLE leveret_parameters (
    component text NOT NULL,
    vhost     text NOT NULL,
    name      text NOT NULL,
    value     text NOT NULL,
    PRIMARY KEY (component, vhost, name)
  );
  CREATE INDEX leveret_parameters_by_vhost ON leveret_parameters (vhost);
  CREATE TABLE leveret_delayed_messages (
    id          bigint PRIMARY KEY,
    vhost       text NOT NULL,
    exchange    text NOT NULL,
    routing_key bytea NOT NULL,
    properties  bytea NOT NULL,
    body        bytea NOT NULL,
    due_at      double precision NOT NULL
  );
  CREATE INDEX leveret_delayed_messages_by_due ON leveret_delayed_messages (due_at, id);
  CREATE INDEX leveret_delayed_messages_by_exchange ON leveret_delayed_messages (vhost, exchange);
  CREATE TABLE leveret_quarantined_messages (
    id          bigserial PRIMARY KEY,
    vhost       text NOT NULL,
    queue       text NOT NULL,
    reason      text NOT NULL,
    at          double precision NOT NULL,
    exchange    bytea NOT NULL,
    routing_key bytea NOT NULL,
    properties  bytea NOT NULL,
    body        bytea NOT NULL
  );
  CREATE INDEX leveret_quarantined_messages_by_vhost ON leveret_quarantined_messages (vhost, id);
  CREATE TABLE leveret_audit_log (
    id          bigserial PRIMARY KEY,
    at          double precision NOT NULL,
    user_name   text NOT NULL,
    source      text NOT NULL,
    peer        text NOT NULL,
    vhost       text NOT NULL,
    action      text NOT NULL,
    object_type text NOT NULL,
    object_name text NOT NULL,
    details     text NOT NULL,
    result      text NOT NULL,
    reason      text NOT NULL
  );
  CREATE INDEX leveret_audit_log_by_at ON leveret_audit_log (at);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Every table of the schema but the HA ones, for tests that empty a database between runs. */
export const STORE_TABLES = [
  'leveret_meta', 'leveret_vhosts', 'leveret_users', 'leveret_permissions', 'leveret_exchanges', 'leveret_queues',
  'leveret_bindings', 'leveret_messages', 'leveret_queue_entries', 'leveret_parameters', 'leveret_delayed_messages',
  'leveret_quarantined_messages', 'leveret_audit_log',
] as const;

/**
 * Creates or migrates the schema in the database at `url`; returns its version. Idempotent; safe when several
 * nodes run it at once. A database written by a newer Leveret is refused (STORE_SCHEMA_TOO_NEW).
 */
export async function ensureSchema(url: string, applicationName = 'leveret-schema'): Promise<number> {
  const client = await connectClient(url, applicationName, 30_000);
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS leveret_schema (
         id smallint PRIMARY KEY CHECK (id = 1), version integer NOT NULL, migrated_at timestamptz NOT NULL)`,
    );
    const row = await client.query<{ version: number }>('SELECT version FROM leveret_schema WHERE id = 1');
    const version = row.rows[0]?.version ?? 0;
    if (version > SCHEMA_VERSION) {
      throw new StoreError(
        'STORE_SCHEMA_TOO_NEW',
        `database schema version ${version} is newer than this Leveret understands (${SCHEMA_VERSION}); upgrade Leveret`,
      );
    }
    for (let v = version; v < SCHEMA_VERSION; v++) await client.query(MIGRATIONS[v]!);
    await client.query(
      `INSERT INTO leveret_schema (id, version, migrated_at) VALUES (1, $1, now())
       ON CONFLICT (id) DO UPDATE SET version = excluded.version, migrated_at = excluded.migrated_at
       WHERE leveret_schema.version <> excluded.version`,
      [SCHEMA_VERSION],
    );
    await client.query('COMMIT');
    return SCHEMA_VERSION;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (err instanceof StoreError) throw err;
    throw new StoreError('STORE_UNREADABLE', `PostgreSQL schema cannot be created: ${describe(err)}`, { cause: err });
  } finally {
    await client.end().catch(() => undefined);
  }
}
