import { readTableAt, type FieldTable } from '../../protocol/field-table';
import { decodeBytes } from '../../protocol/utf8';
import { StoreError } from '../errors';
import type {
  AccessDefinitions,
  Definitions,
  DelayedRecord,
  ParameterRecord,
  PermissionRecord,
  StoredAudit,
  StoredEntry,
  StoredQuarantine,
  UserRecord,
  VhostRecord,
} from '../store';
import { describe } from './connect';

/*
 * Rows the worker read (reads.ts), as records, on the broker's thread. Bytes arrive as Uint8Array (structured
 * cloning drops the Buffer class); names stored as bytea are decoded back into the strings they were.
 */

type Row = readonly unknown[];

export function buf(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  const u = v as Uint8Array;
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function name(v: unknown): string {
  const b = buf(v);
  return decodeBytes(b, 0, b.length);
}

function table(v: unknown, what: string): FieldTable {
  const b = buf(v);
  try {
    return readTableAt(b, 0, b.length);
  } catch (err) {
    throw new StoreError('STORE_CORRUPT', `PostgreSQL store: arguments of ${what} cannot be decoded: ${describe(err)}`, { cause: err });
  }
}

function tags(v: unknown): string[] {
  const parsed: unknown = JSON.parse(String(v));
  return Array.isArray(parsed) ? parsed.map(String) : [];
}

export function definitionsOf(rows: readonly Row[][]): Definitions {
  const [exchanges = [], queues = [], bindings = []] = rows;
  return {
    exchanges: exchanges.map((r) => ({
      vhost: String(r[0]),
      name: String(r[1]),
      type: String(r[2]),
      durable: r[3] === true,
      autoDelete: r[4] === true,
      internal: r[5] === true,
      arguments: table(r[6], `exchange '${String(r[1])}'`),
    })),
    queues: queues.map((r) => ({
      id: Number(r[0]),
      vhost: String(r[1]),
      name: String(r[2]),
      durable: r[3] === true,
      autoDelete: r[4] === true,
      arguments: table(r[5], `queue '${String(r[2])}'`),
    })),
    bindings: bindings.map((r) => ({
      vhost: String(r[0]),
      source: String(r[1]),
      destinationKind: r[2] === 'exchange' ? 'exchange' : 'queue',
      destination: String(r[3]),
      routingKey: String(r[4]),
      arguments: table(r[5], `binding of '${String(r[3])}'`),
    })),
  };
}

export function accessOf(rows: readonly Row[][]): AccessDefinitions {
  const [vhostRows = [], userRows = [], permissionRows = []] = rows;
  const vhosts: VhostRecord[] = vhostRows.map((r) => {
    const v: VhostRecord = { name: String(r[0]), description: String(r[1]), tags: tags(r[2]) };
    return r[3] === null ? v : { ...v, defaultQueueType: String(r[3]) };
  });
  const users: UserRecord[] = userRows.map((r) => ({
    name: String(r[0]),
    passwordHash: String(r[1]),
    hashingAlgorithm: String(r[2]),
    tags: tags(r[3]),
  }));
  const permissions: PermissionRecord[] = permissionRows.map((r) => ({
    user: String(r[0]),
    vhost: String(r[1]),
    configure: String(r[2]),
    write: String(r[3]),
    read: String(r[4]),
  }));
  return { vhosts, users, permissions };
}

export function parametersOf(rows: readonly Row[]): ParameterRecord[] {
  return rows.map((r) => {
    let value: unknown;
    try {
      value = JSON.parse(String(r[3]));
    } catch (err) {
      const text = `PostgreSQL store: value of parameter ${String(r[0])} '${String(r[2])}' in vhost '${String(r[1])}' is not JSON`;
      throw new StoreError('STORE_CORRUPT', text, { cause: err });
    }
    return { component: String(r[0]), vhost: String(r[1]), name: String(r[2]), value };
  });
}

/** seq, redelivered, expires_at, message id, exchange, routing key, properties, body */
export function entriesOf(rows: readonly Row[]): StoredEntry[] {
  const out: StoredEntry[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    out[i] = {
      seq: Number(r[0]),
      redelivered: r[1] === true,
      expiresAt: Number(r[2]),
      message: { id: Number(r[3]), exchange: name(r[4]), routingKey: name(r[5]), properties: buf(r[6]), body: buf(r[7]) },
    };
  }
  return out;
}

/** id, vhost, exchange, routing key, properties, body, due_at */
export function delayedOf(r: Row): DelayedRecord {
  return {
    id: Number(r[0]),
    vhost: String(r[1]),
    exchange: String(r[2]),
    routingKey: name(r[3]),
    properties: buf(r[4]),
    body: buf(r[5]),
    dueAt: Number(r[6]),
  };
}

export function quarantineOf(rows: readonly Row[]): StoredQuarantine[] {
  return rows.map((r) => ({
    id: Number(r[0]),
    vhost: String(r[1]),
    queue: String(r[2]),
    reason: String(r[3]),
    at: Number(r[4]),
    exchange: name(r[5]),
    routingKey: name(r[6]),
    properties: buf(r[7]),
    body: buf(r[8]),
  }));
}

export function auditOf(rows: readonly Row[]): StoredAudit[] {
  return rows.map((r) => ({
    id: Number(r[0]),
    at: Number(r[1]),
    user: String(r[2]),
    source: String(r[3]),
    peer: String(r[4]),
    vhost: String(r[5]),
    action: String(r[6]),
    objectType: String(r[7]),
    objectName: String(r[8]),
    details: String(r[9]),
    result: r[10] === 'refused' ? 'refused' : 'ok',
    reason: String(r[11]),
  }));
}
