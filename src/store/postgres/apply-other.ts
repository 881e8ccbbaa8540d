import type pg from 'pg';
import { encodeString } from '../../protocol/utf8';
import { DELETE_DELAYED, PUT_DELAYED, REMOVE_DELAYED } from '../delayed-ops';
import {
  AUDIT,
  DELETE_BINDING,
  DELETE_EXCHANGE,
  DELETE_PARAMETER,
  DELETE_PERMISSION,
  DELETE_QUEUE,
  DELETE_USER,
  DELETE_VHOST,
  ENQUEUE,
  MARK,
  PRUNE_AUDIT,
  PUT_BINDING,
  PUT_EXCHANGE,
  PUT_PARAMETER,
  PUT_PERMISSION,
  PUT_QUEUE,
  PUT_USER,
  PUT_VHOST,
  QUARANTINE,
  REMOVE,
  type Op,
} from '../ops';

/*
 * The ops of a batch that are not per-message (definitions, users, permissions, parameters, delayed messages,
 * quarantine, audit), one statement or a few each, in the worker's transaction (apply.ts applies the batch); and
 * what both need: each queue's counter changes, and dropping a queue's entries with their bodies.
 */

export interface QueueDelta {
  count: number;
  bytes: number;
  lastSeq: number;
}

export type Deltas = Map<number, QueueDelta>;

/**
 * The bodies of a run travel as ONE binary parameter ($2: each message's exchange, routing key, properties and body,
 * back to back), cut apart by lengths: a bytea[] parameter would be sent as hex text, twice the bytes, to be parsed.
 */
/** Deletes entries and lets go of their bodies: a body goes with its last entry. Returns counts per queue. */
export const RELEASE = `c AS (SELECT message_id, count(*)::int AS n FROM d GROUP BY message_id),
    gone AS (DELETE FROM leveret_messages m USING c WHERE m.id = c.message_id AND m.refcount <= c.n),
    kept AS (UPDATE leveret_messages m SET refcount = m.refcount - c.n FROM c WHERE m.id = c.message_id AND m.refcount > c.n)`;

const DROP_QUEUE_ENTRIES = {
  name: 'lv_drop_queue_entries',
  text: `WITH d AS (DELETE FROM leveret_queue_entries WHERE queue_id = $1 RETURNING message_id),
    ${RELEASE}
    SELECT count(*)::int AS n FROM d`,
};

export function deltaFor(deltas: Deltas, queueId: number): QueueDelta {
  let d = deltas.get(queueId);
  if (d === undefined) {
    d = { count: 0, bytes: 0, lastSeq: 0 };
    deltas.set(queueId, d);
  }
  return d;
}


/** Inside a transaction: deletes a queue's entries, letting go of their bodies; returns how many there were. */
export async function dropQueueEntries(client: pg.Client, queueId: number): Promise<number> {
  const res = await client.query<{ n: number }>({ ...DROP_QUEUE_ENTRIES, values: [queueId] });
  await client.query('UPDATE leveret_queues SET entry_count = 0, entry_bytes = 0 WHERE id = $1', [queueId]);
  return res.rows[0]?.n ?? 0;
}

async function dropQueue(client: pg.Client, queueId: number, deltas: Deltas): Promise<void> {
  await dropQueueEntries(client, queueId);
  await client.query('DELETE FROM leveret_queues WHERE id = $1', [queueId]);
  deltas.delete(queueId);
}

export async function applyOther(client: pg.Client, op: Op, deltas: Deltas): Promise<void> {
  switch (op.kind) {
    case PUT_EXCHANGE: {
      const r = op.record;
      await client.query(
        `INSERT INTO leveret_exchanges (vhost, name, type, durable, auto_delete, internal, arguments)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (vhost, name) DO UPDATE SET type = excluded.type, durable = excluded.durable,
           auto_delete = excluded.auto_delete, internal = excluded.internal, arguments = excluded.arguments`,
        [r.vhost, r.name, r.type, r.durable, r.autoDelete, r.internal, r.args],
      );
      return;
    }
    case DELETE_EXCHANGE:
      await client.query('DELETE FROM leveret_exchanges WHERE vhost = $1 AND name = $2', [op.vhost, op.name]);
      await client.query(
        `DELETE FROM leveret_bindings WHERE vhost = $1 AND (source = $2 OR (destination_kind = 'exchange' AND destination = $2))`,
        [op.vhost, op.name],
      );
      return;
    case PUT_QUEUE: {
      const r = op.record;
      await client.query(
        `INSERT INTO leveret_queues (id, vhost, name, durable, auto_delete, arguments) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET durable = excluded.durable, auto_delete = excluded.auto_delete,
           arguments = excluded.arguments`,
        [op.id, r.vhost, r.name, r.durable, r.autoDelete, r.args],
      );
      return;
    }
    case DELETE_QUEUE:
      if (op.id !== 0) await dropQueue(client, op.id, deltas);
      await client.query(
        `DELETE FROM leveret_bindings WHERE vhost = $1 AND destination_kind = 'queue' AND destination = $2`,
        [op.vhost, op.name],
      );
      return;
    case PUT_BINDING: {
      const r = op.record;
      await client.query(
        `INSERT INTO leveret_bindings (vhost, source, destination_kind, destination, routing_key, arguments_key, arguments)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (vhost, source, destination_kind, destination, routing_key, arguments_key)
         DO UPDATE SET arguments = excluded.arguments`,
        [r.vhost, r.source, r.destinationKind, r.destination, r.routingKey, r.argsKey, r.args],
      );
      return;
    }
    case DELETE_BINDING: {
      const r = op.record;
      await client.query(
        `DELETE FROM leveret_bindings WHERE vhost = $1 AND source = $2 AND destination_kind = $3 AND destination = $4
           AND routing_key = $5 AND arguments_key = $6`,
        [r.vhost, r.source, r.destinationKind, r.destination, r.routingKey, r.argsKey],
      );
      return;
    }
    case PUT_VHOST: {
      const r = op.record;
      await client.query(
        `INSERT INTO leveret_vhosts (name, description, tags, default_queue_type) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO UPDATE SET description = excluded.description, tags = excluded.tags,
           default_queue_type = excluded.default_queue_type`,
        [r.name, r.description, JSON.stringify(r.tags), r.defaultQueueType ?? null],
      );
      return;
    }
    case DELETE_VHOST: {
      const ids = await client.query<{ id: number }>('SELECT id FROM leveret_queues WHERE vhost = $1', [op.name]);
      for (const { id } of ids.rows) await dropQueue(client, id, deltas);
      const v = [op.name];
      await client.query('DELETE FROM leveret_exchanges WHERE vhost = $1', v);
      await client.query('DELETE FROM leveret_bindings WHERE vhost = $1', v);
      await client.query('DELETE FROM leveret_permissions WHERE vhost = $1', v);
      if (op.name !== '') await client.query('DELETE FROM leveret_parameters WHERE vhost = $1', v);
      await client.query('DELETE FROM leveret_delayed_messages WHERE vhost = $1', v);
      await client.query('DELETE FROM leveret_quarantined_messages WHERE vhost = $1', v);
      await client.query('DELETE FROM leveret_vhosts WHERE name = $1', v);
      return;
    }
    case PUT_USER: {
      const r = op.record;
      await client.query(
        `INSERT INTO leveret_users (name, password_hash, hashing_algorithm, tags) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash,
           hashing_algorithm = excluded.hashing_algorithm, tags = excluded.tags`,
        [r.name, r.passwordHash, r.hashingAlgorithm, JSON.stringify(r.tags)],
      );
      return;
    }
    case DELETE_USER:
      await client.query('DELETE FROM leveret_users WHERE name = $1', [op.name]);
      await client.query('DELETE FROM leveret_permissions WHERE user_name = $1', [op.name]);
      return;
    case PUT_PERMISSION: {
      const r = op.record;
      await client.query(
        `INSERT INTO leveret_permissions (user_name, vhost, configure_re, write_re, read_re) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_name, vhost) DO UPDATE SET configure_re = excluded.configure_re,
           write_re = excluded.write_re, read_re = excluded.read_re`,
        [r.user, r.vhost, r.configure, r.write, r.read],
      );
      return;
    }
    case DELETE_PERMISSION:
      await client.query('DELETE FROM leveret_permissions WHERE user_name = $1 AND vhost = $2', [op.user, op.vhost]);
      return;
    case PUT_PARAMETER:
      await client.query(
        `INSERT INTO leveret_parameters (component, vhost, name, value) VALUES ($1, $2, $3, $4)
         ON CONFLICT (component, vhost, name) DO UPDATE SET value = excluded.value`,
        [op.component, op.vhost, op.name, op.json],
      );
      return;
    case DELETE_PARAMETER:
      await client.query('DELETE FROM leveret_parameters WHERE component = $1 AND vhost = $2 AND name = $3', [
        op.component,
        op.vhost,
        op.name,
      ]);
      return;
    case QUARANTINE: {
      const r = op.record;
      await client.query(
        `INSERT INTO leveret_quarantined_messages (vhost, queue, reason, at, exchange, routing_key, properties, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [r.vhost, r.queue, r.reason, r.at, encodeString(r.exchange), encodeString(r.routingKey), r.properties, r.body],
      );
      return;
    }
    case AUDIT: {
      const r = op.record;
      await client.query(
        `INSERT INTO leveret_audit_log (at, user_name, source, peer, vhost, action, object_type, object_name, details, result, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [r.at, r.user, r.source, r.peer, r.vhost, r.action, r.objectType, r.objectName, r.details, r.result, r.reason],
      );
      return;
    }
    case PRUNE_AUDIT:
      await client.query(
        `DELETE FROM leveret_audit_log WHERE at < $2
           OR id <= (SELECT id FROM leveret_audit_log ORDER BY id DESC LIMIT 1 OFFSET $1)`,
        [op.keep, op.before],
      );
      return;
    case PUT_DELAYED: {
      const r = op.record;
      await client.query(
        `INSERT INTO leveret_delayed_messages (id, vhost, exchange, routing_key, properties, body, due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
        [r.id, r.vhost, r.exchange, encodeString(r.routingKey), r.properties, r.body, r.dueAt],
      );
      return;
    }
    case REMOVE_DELAYED:
      await client.query('DELETE FROM leveret_delayed_messages WHERE id = $1', [op.id]);
      return;
    case DELETE_DELAYED:
      await client.query('DELETE FROM leveret_delayed_messages WHERE vhost = $1 AND exchange = $2', [op.vhost, op.exchange]);
      return;
    case ENQUEUE:
    case MARK:
    case REMOVE:
      throw new Error('per-message ops are written by runs');
  }
}
