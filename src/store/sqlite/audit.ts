import type Database from 'better-sqlite3';
import type { AuditFilter, StoredAudit } from '../store';

/*
 * The audit_log table's statements and reads (see store.ts; its writes are the AUDIT and PRUNE_AUDIT ops of ops.ts).
 * Filters are statement parameters (null matches everything), so one prepared statement serves every query.
 */

/** The audit filter as statement parameters: null matches everything. */
interface AuditParams {
  since: number | null;
  until: number | null;
  user: string | null;
  action: string | null;
  vhost: string | null;
}

/** id, at, user, source, peer, vhost, action, object type, object name, details, result, reason */
type AuditRow = [number, number, string, string, string, string, string, string, string, string, string, string];

const WHERE = `WHERE (@since IS NULL OR at >= @since) AND (@until IS NULL OR at <= @until)
  AND (@user IS NULL OR user_name = @user) AND (@vhost IS NULL OR vhost = @vhost)
  AND (@action IS NULL OR action = @action OR substr(action, 1, length(@action) + 1) = @action || '.')`;

export interface AuditStatements {
  insert: Database.Statement;
  load: Database.Statement<AuditParams & { limit: number }, AuditRow>;
  count: Database.Statement<AuditParams, { n: number }>;
  /** Deletes the entries older than @before and all but the newest @keep. */
  prune: Database.Statement<{ keep: number; before: number }>;
}

export function prepareAuditStatements(db: Database.Database): AuditStatements {
  return {
    insert: db.prepare(
      `INSERT INTO audit_log (at, user_name, source, peer, vhost, action, object_type, object_name, details, result, reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    load: db
      .prepare<AuditParams & { limit: number }, AuditRow>(
        `SELECT id, at, user_name, source, peer, vhost, action, object_type, object_name, details, result, reason
         FROM audit_log ${WHERE} ORDER BY id DESC LIMIT @limit`,
      )
      .raw(true),
    count: db.prepare<AuditParams, { n: number }>(`SELECT COUNT(*) AS n FROM audit_log ${WHERE}`),
    prune: db.prepare<{ keep: number; before: number }>(
      `DELETE FROM audit_log WHERE at < @before
         OR id <= (SELECT id FROM audit_log ORDER BY id DESC LIMIT 1 OFFSET @keep)`,
    ),
  };
}

function params(filter: AuditFilter): AuditParams {
  return {
    since: filter.since ?? null,
    until: filter.until ?? null,
    user: filter.user ?? null,
    action: filter.action ?? null,
    vhost: filter.vhost ?? null,
  };
}

/** Up to `limit` audit entries matching the filter, newest first. */
export function readAudit(st: AuditStatements, filter: AuditFilter, limit: number): StoredAudit[] {
  return st.load.all({ ...params(filter), limit }).map((r) => ({
    id: r[0],
    at: r[1],
    user: r[2],
    source: r[3],
    peer: r[4],
    vhost: r[5],
    action: r[6],
    objectType: r[7],
    objectName: r[8],
    details: r[9],
    result: r[10] === 'refused' ? 'refused' : 'ok',
    reason: r[11],
  }));
}

/** How many audit entries match the filter. */
export function countAudit(st: AuditStatements, filter: AuditFilter): number {
  return st.count.get(params(filter))?.n ?? 0;
}
