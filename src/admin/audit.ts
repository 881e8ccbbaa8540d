import type { AuditFilter, Store, StoredAudit } from '../store/store';
import { systemClock, type Clock } from '../util/clock';
import type { AuditEvent, AuditSink } from '../vhost/audit';

export type { AuditEvent, AuditSink, AuditSource } from '../vhost/audit';
export type { AuditFilter } from '../store/store';

/*
 * The audit log: every change to definitions, users and permissions (and every refused attempt), from the HTTP API,
 * definitions imports and AMQP, kept in the Store. Recording is one buffered store write (it rides in the group
 * commit of the change it describes); pruning to the newest `maxEntries` and the last `maxAgeMs` is one batched
 * delete, run off the caller's turn (setImmediate) every PRUNE_EVERY entries, and at start.
 */

export interface AuditOptions {
  /** false: nothing is recorded (for measuring what the log costs); default true. */
  readonly enabled?: boolean;
  /** Entries kept at most (default 100,000). */
  readonly maxEntries?: number;
  /** How long an entry is kept, ms (default 30 days). */
  readonly maxAgeMs?: number;
  readonly clock?: Clock;
}

export const DEFAULT_AUDIT_MAX_ENTRIES = 100_000;
export const DEFAULT_AUDIT_MAX_AGE_MS = 30 * 24 * 3600 * 1000;
/** Entries recorded between two prunes. */
const PRUNE_EVERY = 1000;
/** A prune is also due when the last one is older than this (a quiet broker still forgets old entries). */
const PRUNE_INTERVAL_MS = 3600 * 1000;
/** details as stored: at most this much JSON. */
const MAX_DETAILS_CHARS = 4096;
const MAX_STRING = 256;
const MAX_ITEMS = 32;
const MAX_DEPTH = 3;
/** Keys whose values never reach the log (passwords, their hashes, secrets). */
const SECRET_KEY = /pass|hash|secret|token|credential/i;

/** An audit entry as the API shows it. */
export interface AuditEntryJson {
  readonly id: number;
  readonly at: number;
  readonly user: string;
  readonly source: string;
  readonly peer: string;
  readonly vhost: string;
  readonly action: string;
  readonly object: { readonly type: string; readonly name: string };
  readonly details: unknown;
  readonly result: 'ok' | 'refused';
  readonly reason?: string;
}

export class AuditLog implements AuditSink {
  readonly enabled: boolean;
  readonly maxEntries: number;
  readonly maxAgeMs: number;
  private readonly clock: Clock;
  private sincePrune = 0;
  private lastPrune: number;
  private pruneScheduled = false;
  private readonly pruneLater = (): void => {
    this.pruneScheduled = false;
    try {
      this.prune();
    } catch {
      // The store closed meanwhile (the broker is stopping): nothing to prune. Any other refusal is retried with the
      // next PRUNE_EVERY entries; a prune never takes the process down from its setImmediate.
    }
  };

  constructor(
    private readonly store: Store,
    options: AuditOptions = {},
  ) {
    this.enabled = options.enabled ?? true;
    this.maxEntries = options.maxEntries ?? DEFAULT_AUDIT_MAX_ENTRIES;
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_AUDIT_MAX_AGE_MS;
    this.clock = options.clock ?? systemClock;
    this.lastPrune = this.clock.now();
    this.prune();
  }

  record(event: AuditEvent): void {
    if (!this.enabled) return;
    const now = this.clock.now();
    this.store.audit({
      at: now,
      user: event.user,
      source: event.source,
      peer: event.peer,
      vhost: event.vhost,
      action: event.action,
      objectType: event.object.type,
      objectName: event.object.name,
      details: detailsJson(event.details),
      result: event.result,
      reason: event.result === 'refused' ? (event.reason ?? '') : '',
    });
    if ((++this.sincePrune >= PRUNE_EVERY || now - this.lastPrune >= PRUNE_INTERVAL_MS) && !this.pruneScheduled) {
      this.pruneScheduled = true;
      setImmediate(this.pruneLater);
    }
  }

  /** Drops what is past the bounds now (one batched store write). */
  prune(): void {
    this.sincePrune = 0;
    this.lastPrune = this.clock.now();
    this.store.pruneAudit(this.maxEntries, this.lastPrune - this.maxAgeMs);
  }

  /** Up to `limit` entries matching the filter, newest first, and how many match in all. */
  list(filter: AuditFilter, limit: number): { total: number; items: AuditEntryJson[] } {
    return { total: this.store.auditCount(filter), items: this.store.loadAudit(filter, limit).map(formatAudit) };
  }

  /** Every kept entry matching the filter, oldest first (an export). */
  export(filter: AuditFilter): AuditEntryJson[] {
    return this.store.loadAudit(filter, this.maxEntries).reverse().map(formatAudit);
  }
}

export function formatAudit(r: StoredAudit): AuditEntryJson {
  let details: unknown;
  try {
    details = JSON.parse(r.details);
  } catch {
    details = {};
  }
  return {
    id: r.id,
    at: r.at,
    user: r.user,
    source: r.source,
    peer: r.peer,
    vhost: r.vhost,
    action: r.action,
    object: { type: r.objectType, name: r.objectName },
    details,
    result: r.result,
    ...(r.result === 'refused' ? { reason: r.reason } : {}),
  };
}

/** The details as stored: no secrets, strings and lists cut short, nesting bounded, at most MAX_DETAILS_CHARS. */
export function detailsJson(details: Readonly<Record<string, unknown>>): string {
  const text = JSON.stringify(safeValue(details, 0) ?? {});
  if (text.length <= MAX_DETAILS_CHARS) return text;
  return JSON.stringify({ truncated: true, keys: Object.keys(details).filter((k) => !SECRET_KEY.test(k)).slice(0, MAX_ITEMS) });
}

function safeValue(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
      return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object': {
      if (value === null) return null;
      if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
      if (value instanceof Date) return value.getTime();
      if (depth >= MAX_DEPTH) return '…';
      if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((v) => safeValue(v, depth + 1) ?? null);
      const out: Record<string, unknown> = {};
      let n = 0;
      for (const [k, v] of Object.entries(value)) {
        if (SECRET_KEY.test(k)) continue;
        if (n++ >= MAX_ITEMS) break;
        const safe = safeValue(v, depth + 1);
        if (safe !== undefined) out[k] = safe;
      }
      return out;
    }
    default:
      return undefined;
  }
}
