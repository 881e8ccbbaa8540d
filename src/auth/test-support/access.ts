/** AccessControl over a MemoryStore, for the tests of topic permissions and limits. */
import { MemoryStore } from '../../store/memory';
import type { ParameterRecord, UserRecord } from '../../store/store';
import { AccessControl } from '../access';
import { DEFAULT_HASHING_ALGORITHM, hashPassword } from '../passwords';

export function user(name: string): UserRecord {
  return { name, passwordHash: hashPassword(name), hashingAlgorithm: DEFAULT_HASHING_ALGORITHM, tags: [] };
}

/** An AccessControl knowing users alice and bob, on a fresh MemoryStore. */
export function setup(): { store: MemoryStore; access: AccessControl } {
  const store = new MemoryStore();
  const access = new AccessControl(store, new Set());
  for (const name of ['alice', 'bob']) access.putUser(user(name));
  return { store, access };
}

/** A fresh AccessControl that knows only what the store kept, loaded as broker.ts loads it. */
export function reloaded(store: MemoryStore): AccessControl {
  const access = new AccessControl(store, new Set());
  access.load(store.loadAccess(), store.loadParameters());
  return access;
}

export function parameters(store: MemoryStore, component: string): ParameterRecord[] {
  return store.loadParameters().filter((p) => p.component === component);
}
