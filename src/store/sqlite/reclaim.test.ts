import Database from 'better-sqlite3';
import { Reclaimer, reclaimTick, reclaimTickFor } from './reclaim';

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
    expect(tick).toMatchObject({ pagesPerTick: 16, reservePages: 512 });
    const before = freePages(db);
    expect(before).toBeGreaterThan(700);
    expect(reclaimTick(db, tick, false)).toBe(true);
    expect(freePages(db)).toBe(before - 16);
    for (let i = 0; i < 100; i++) reclaimTick(db, tick, false);
    expect(freePages(db)).toBe(512);
    db.close();
  });

  test('free space under the reserve (a steady flow reuses it) is left alone', () => {
    const db = withFreePages(4);
    const before = freePages(db);
    expect(before).toBeGreaterThan(200);
    expect(reclaimTick(db, reclaimTickFor(db), false)).toBe(false);
    expect(freePages(db)).toBe(before);
    db.close();
  });
});

describe('Reclaimer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('looks once a second; while there is space beyond the reserve, steps every 32 ms until it is gone', () => {
    const db = withFreePages(12);
    const before = freePages(db);
    const reclaimer = new Reclaimer(db, false, () => true);
    jest.advanceTimersByTime(999);
    expect(freePages(db)).toBe(before);
    jest.advanceTimersByTime(1);
    expect(freePages(db)).toBe(before - 16);
    jest.advanceTimersByTime(32);
    expect(freePages(db)).toBe(before - 32);
    jest.advanceTimersByTime(32 * 100);
    expect(freePages(db)).toBe(512);
    reclaimer.stop();
    db.close();
  });

  test('does nothing while another thread writes, and nothing after stop()', () => {
    const db = withFreePages(12);
    const before = freePages(db);
    let active = false;
    const reclaimer = new Reclaimer(db, false, () => active);
    jest.advanceTimersByTime(5000);
    expect(freePages(db)).toBe(before);
    reclaimer.stop();
    active = true;
    jest.advanceTimersByTime(5000);
    expect(freePages(db)).toBe(before);
    db.close();
  });
});
