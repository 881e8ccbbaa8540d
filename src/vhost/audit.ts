/*
 * The audit log's way in: who changed which definition, user or permission, from where, and whether it was refused.
 * The broker's composition root (broker.ts) builds the sink (admin/audit.ts, over the Store) and hands it to the
 * connections (AMQP declares, deletes, binds) and the administrative service (HTTP, definitions imports); the code
 * that makes changes sees only this interface.
 */

export type AuditSource = 'http' | 'amqp' | 'definitions' | 'broker';

/** One change, or one refused attempt at a change, as its source reports it. */
export interface AuditEvent {
  /** The authenticated user; '' for the broker itself. */
  readonly user: string;
  readonly source: AuditSource;
  /** The client's address; '' when none. */
  readonly peer: string;
  /** '' for broker-wide objects (users, global parameters, user limits). */
  readonly vhost: string;
  /** '<object type>.<verb>', e.g. 'queue.declare', 'user.put', 'permission.delete', 'binding.create'. */
  readonly action: string;
  readonly object: { readonly type: string; readonly name: string };
  /** What was asked for, small; the sink drops anything that looks like a password and caps the size. */
  readonly details: Readonly<Record<string, unknown>>;
  readonly result: 'ok' | 'refused';
  /** Why it was refused (the error text); absent or '' when ok. */
  readonly reason?: string;
}

export interface AuditSink {
  record(event: AuditEvent): void;
}
