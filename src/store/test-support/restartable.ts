import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryStore } from '../memory';
import { SqliteStore } from '../sqlite';
import type { Store } from '../store';

/** A store a test can "restart" the way a broker restart would see it. */
export interface RestartableStore {
  store: Store;
  /** A broker restart: the same store for memory, closed and reopened for SQLite. */
  restart(): Store;
  cleanup(): Promise<void>;
}

/** Both stores, for describe.each: [name, make(prefix of the SQLite temp dir)]. */
export const RESTARTABLE_STORES: ReadonlyArray<readonly [string, (prefix: string) => RestartableStore]> = [
  [
    'MemoryStore',
    () => {
      const store = new MemoryStore();
      return { store, restart: () => store, cleanup: () => Promise.resolve() };
    },
  ],
  [
    'SqliteStore',
    (prefix) => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      const fixture: RestartableStore = {
        store: SqliteStore.open({ dataDir }),
        restart: () => {
          void fixture.store.close();
          fixture.store = SqliteStore.open({ dataDir });
          return fixture.store;
        },
        cleanup: async () => {
          await fixture.store.close();
          fs.rmSync(dataDir, { recursive: true, force: true });
        },
      };
      return fixture;
    },
  ],
];
