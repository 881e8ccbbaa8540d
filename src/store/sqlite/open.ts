import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { StoreError } from '../errors';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './schema';

/** Page size of newly created database files (existing files keep theirs). */
export const PAGE_SIZE = 16384;

/*
 * Opening a SqliteStore's database: the data directory, its lock (LOCK_FILE, see lockDataDir), the pid file that
 * names the holder in the error message, schema migration, and the StoreError an open failure becomes.
 */

export const DB_FILE = 'leveret.db';
export const PID_FILE = 'leveret.pid';
export const LOCK_FILE = 'leveret.lock';

/** Data directories held by a SqliteStore of this process (realpath), with the connection that holds the lock. */
const openDirs = new Map<string, Database.Database>();

/** How long a connection waits for another's lock on the database: only the two of this process share it. */
const BUSY_TIMEOUT_MS = 5000;

/** The SqliteStoreOptions that opening uses. */
export interface OpenOptions {
  dataDir: string;
  durability?: 'fsync' | 'relaxed';
  logger?: Logger;
}

export interface OpenedDatabase {
  db: Database.Database;
  /** The data directory (realpath), now held by this process. */
  realDir: string;
  /** The database file in it. */
  file: string;
}

/**
 * Opens (creating if needed) the database in options.dataDir, locks the directory, migrates the schema and writes
 * the pid file. Synchronous. The directory is held until releaseDataDir.
 */
export function openDatabase(options: OpenOptions): OpenedDatabase {
  const dir = path.resolve(options.dataDir);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new StoreError('STORE_UNREADABLE', `data directory ${dir} cannot be created: ${describe(err)}`, {
      cause: err,
    });
  }
  let realDir: string;
  try {
    realDir = fs.realpathSync(dir);
    if (!fs.statSync(realDir).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new StoreError('STORE_UNREADABLE', `data directory ${dir} cannot be used: ${describe(err)}`, {
      cause: err,
    });
  }
  if (openDirs.has(realDir)) throw lockedError(realDir, process.pid);

  const file = path.join(realDir, DB_FILE);
  const fileStat = statOrNull(file);
  if (fileStat && !fileStat.isFile()) {
    throw new StoreError('STORE_UNREADABLE', `database file ${file} is not a regular file`);
  }

  const lock = lockDataDir(realDir);
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  } catch (err) {
    lock.close();
    throw classifyOpenError(err, file, realDir);
  }
  try {
    // Freed pages go back to the file system a slice at a time (reclaimSpace). The mode can only be chosen before
    // the file's first page is written (switching to WAL writes it), so only new files get it.
    if (fileStat === null) {
      // 16 KiB pages: a batch of persistent messages commits in about 60 % of the time 4 KiB pages take (fewer WAL
      // frames per message). Like auto_vacuum it can only be chosen before the first page is written, and it must
      // come first: setting auto_vacuum fixes the page size.
      db.pragma(`page_size = ${PAGE_SIZE}`);
      db.pragma('auto_vacuum = INCREMENTAL');
    }
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') {
      throw new StoreError('STORE_UNREADABLE', `database file ${file} cannot use WAL (got ${String(mode)})`);
    }
    configureConnection(db, options.durability);
    migrate(db, file);
    recoverFromUncleanStop(db, realDir, options.logger);
  } catch (err) {
    db.close();
    lock.close();
    throw err instanceof StoreError ? err : classifyOpenError(err, file, realDir);
  }

  try {
    fs.writeFileSync(path.join(realDir, PID_FILE), `${process.pid}\n`);
  } catch (err) {
    options.logger?.warn({ err, dir }, 'cannot write pid file');
  }
  openDirs.set(realDir, lock);
  return { db, realDir, file };
}

/**
 * A second connection to an opened store's database, for the writer thread (writer-main.ts). The directory lock
 * is the opener's; WAL lets this connection write while the other reads.
 */
export function openWriterConnection(file: string, durability: OpenOptions['durability']): Database.Database {
  const db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  try {
    configureConnection(db, durability);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** The meta row that says a broker holds the store: set at open, cleared by a clean close (markCleanStop). */
const RUNNING_KEY = 'running';
/** The meta row with when an open last found an unclean stop (Store.lastUncleanStopAt). */
export const UNCLEAN_STOP_AT_KEY = 'unclean_stop_at';

/**
 * After an unclean stop (kill -9, a crash, power loss), delivery marks may not have reached disk: a mark is written in
 * a group commit after the delivery went out. So every stored entry is marked redelivered, as RabbitMQ does on a
 * dirty recovery (its next_deliver_seq_id becomes the queue's head). Unclean means the meta row 'running' is still
 * 1 (set below, cleared by markCleanStop after the last flush), or a pid file is left over (a data directory
 * written before that row existed). The marks and the row are one transaction, and the row stays 1 until a clean
 * close, so a broker killed again while it recovers marks again on the next start: no mark is lost. The time of
 * such an open is kept too (UNCLEAN_STOP_AT_KEY): delayed messages due by then may have been routed already.
 */
function recoverFromUncleanStop(db: Database.Database, realDir: string, logger: Logger | undefined): void {
  const row = db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE key = ?').get(RUNNING_KEY);
  const unclean = row?.value === 1 || readPid(realDir) !== undefined;
  const marked = db.transaction(() => {
    if (!unclean) {
      putMeta(db, RUNNING_KEY, 1);
      return 0;
    }
    const n = db.prepare('UPDATE queue_entries SET redelivered = 1 WHERE redelivered = 0').run().changes;
    putMeta(db, RUNNING_KEY, 1);
    const before = db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE key = ?').get(UNCLEAN_STOP_AT_KEY);
    putMeta(db, UNCLEAN_STOP_AT_KEY, Math.max(Date.now(), before?.value ?? 0));
    return n;
  })();
  if (unclean) logger?.warn({ dir: realDir, marked }, 'unclean stop detected: every stored message comes back redelivered');
}

/** After the last flush of a clean close: the next open need not mark anything redelivered. */
export function markCleanStop(db: Database.Database): void {
  putMeta(db, RUNNING_KEY, 0);
}

function putMeta(db: Database.Database, key: string, value: number): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
    key,
    value,
  );
}

/** After the database is closed: removes this process's pid file and lets the directory be opened again. */
export function releaseDataDir(dir: string): void {
  removeOwnPidFile(dir);
  openDirs.get(dir)?.close();
  openDirs.delete(dir);
}

/** Per-connection settings (the journal mode and page size belong to the file). */
function configureConnection(db: Database.Database, durability: OpenOptions['durability']): void {
  db.pragma(`synchronous = ${durability === 'relaxed' ? 'NORMAL' : 'FULL'}`);
  db.pragma('journal_size_limit = 67108864');
  db.exec('CREATE TEMP TABLE temp_message_refs (message_id INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
}

/**
 * Locks the data directory for this process: LOCK_FILE, a tiny SQLite database held by a connection in
 * locking_mode=EXCLUSIVE that has written once, keeps an OS lock on it for the life of that connection (the kernel
 * drops it on kill -9). A second broker's attempt fails at once (SQLITE_BUSY), which names the holder from the pid
 * file. The lock is a file of its own so that the database itself can have two connections in this process: the
 * broker's, and the writer thread's.
 */
function lockDataDir(realDir: string): Database.Database {
  let lock: Database.Database;
  try {
    lock = new Database(path.join(realDir, LOCK_FILE), { timeout: 0 });
  } catch (err) {
    throw classifyOpenError(err, path.join(realDir, LOCK_FILE), realDir);
  }
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE');
    lock.exec('COMMIT');
  } catch (err) {
    lock.close();
    throw classifyOpenError(err, path.join(realDir, LOCK_FILE), realDir);
  }
  return lock;
}

function migrate(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      'STORE_SCHEMA_TOO_NEW',
      `database schema version ${version} is newer than this Leveret understands (${SCHEMA_VERSION}); ` +
        `upgrade Leveret or use another data directory (${file})`,
    );
  }
  if (appId !== APPLICATION_ID) {
    const tables = db.prepare(`SELECT COUNT(*) AS n FROM sqlite_master`).get() as { n: number };
    if (appId !== 0 || version !== 0 || tables.n > 0) {
      throw new StoreError('STORE_CORRUPT', `database file ${file} is an SQLite database but not a Leveret one`);
    }
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    const step = MIGRATIONS[v]!;
    db.transaction(() => {
      step(db);
      db.pragma(`user_version = ${v + 1}`);
      if (v === 0) db.pragma(`application_id = ${APPLICATION_ID}`);
    })();
  }
}

function classifyOpenError(err: unknown, file: string, dir: string): StoreError {
  const code = (err as { code?: unknown }).code;
  const c = typeof code === 'string' ? code : '';
  if (c.startsWith('SQLITE_BUSY') || c.startsWith('SQLITE_LOCKED')) return lockedError(dir, readPid(dir));
  if (c.startsWith('SQLITE_NOTADB') || c.startsWith('SQLITE_CORRUPT')) {
    return new StoreError('STORE_CORRUPT', `database file ${file} is corrupt or not a database (${c})`, { cause: err });
  }
  return new StoreError('STORE_UNREADABLE', `database file ${file} cannot be opened: ${describe(err)}`, { cause: err });
}

function lockedError(dir: string, pid: number | undefined): StoreError {
  return new StoreError(
    'STORE_LOCKED',
    `data directory ${dir} is in use by another broker (pid ${pid === undefined ? 'unknown' : pid})`,
  );
}

function readPid(dir: string): number | undefined {
  try {
    const n = Number.parseInt(fs.readFileSync(path.join(dir, PID_FILE), 'utf8').trim(), 10);
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function removeOwnPidFile(dir: string): void {
  if (readPid(dir) !== process.pid) return;
  try {
    fs.unlinkSync(path.join(dir, PID_FILE));
  } catch {
    // already gone
  }
}

function statOrNull(file: string): fs.Stats | null {
  try {
    return fs.statSync(file);
  } catch {
    return null;
  }
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
