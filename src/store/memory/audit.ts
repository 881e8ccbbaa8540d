import type { AuditFilter, AuditRecord, StoredAudit } from '../store';

/** The memory store's audit log: entries in id order (oldest first), read newest first. */
export class MemoryAudit {
  private readonly entries: StoredAudit[] = [];
  private lastId = 0;

  add(record: AuditRecord): void {
    this.entries.push({ ...record, id: ++this.lastId });
  }

  load(filter: AuditFilter, limit: number): StoredAudit[] {
    const out: StoredAudit[] = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < limit; i--) {
      const entry = this.entries[i]!;
      if (matches(entry, filter)) out.push(entry);
    }
    return out;
  }

  count(filter: AuditFilter): number {
    let n = 0;
    for (const entry of this.entries) if (matches(entry, filter)) n++;
    return n;
  }

  prune(keep: number, before: number): void {
    const kept = this.entries.slice(Math.max(0, this.entries.length - Math.max(0, keep))).filter((e) => e.at >= before);
    this.entries.length = 0;
    this.entries.push(...kept);
  }
}

function matches(entry: StoredAudit, f: AuditFilter): boolean {
  if (f.since !== undefined && entry.at < f.since) return false;
  if (f.until !== undefined && entry.at > f.until) return false;
  if (f.user !== undefined && entry.user !== f.user) return false;
  if (f.vhost !== undefined && entry.vhost !== f.vhost) return false;
  if (f.action !== undefined && entry.action !== f.action && !entry.action.startsWith(`${f.action}.`)) return false;
  return true;
}
