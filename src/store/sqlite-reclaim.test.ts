import Database from 'better-sqlite3';
import { reclaimTick, reclaimTickFor } from './sqlite-reclaim';

/** An in-memory database with incremental auto-vacuum and `freeMiB` of free pages. */
function withFreePages(freeMiB: number): Database.Database {
  const db = new Database(':memory:');
  db.pragma('page_size = 16384');
  db.pragma('auto_vacuum = INCREMENTAL');
  db.exec('CREATE TABLE t (b BLOB)');
  const insert = db.prepare('INSERT INTO t VALUES (?)');
  const body = Buffer.alloc(8000, 1);
  db.transaction(() => {
    for (let i = 0; i < freeMiB * 128; i++) insert.run(body);
  })();
  db.exec('DELETE FROM t');
  return db;
}

const freePages = (db: Database.Database): number => db.pragma('freelist_count', { simple: true }) as number;

describe('reclaimTick', () => {
  test('gives back at most a step per tick of what lies beyond the 8 MiB reserve, and stops at the reserve', () => {
    const db = withFreePages(12);
    const tick = reclaimTickFor(db);
    expect(tick).toEqual({ pagesPerTick: 16, reservePages: 512 });
    const before = freePages(db);
    expect(before).toBeGreaterThan(700);
    reclaimTick(db, tick, false);
    expect(freePages(db)).toBe(before - 16);
    for (let i = 0; i < 100; i++) reclaimTick(db, tick, false);
    expect(freePages(db)).toBe(512);
    db.close();
  });

  test('free space under the reserve (a steady flow reuses it) is left alone', () => {
    const db = withFreePages(4);
    const before = freePages(db);
    expect(before).toBeGreaterThan(200);
    reclaimTick(db, reclaimTickFor(db), false);
    expect(freePages(db)).toBe(before);
    db.close();
  });
});
