import type { Store } from '../../store';
import type { StoreFixture } from './fixtures';

/** What a feature file of the Store contract runs against: the current test's fixture and store. */
export interface ContractContext {
  /** The fixture of the running test (set before each test). */
  readonly fx: StoreFixture;
  /** The store of the running test; a restart replaces it. */
  readonly store: Store;
  /** Flush, then restart on the same state; returns the store to use from now on. */
  restart(): Promise<Store>;
  /** Runs the same checks on the store as it is and again after a restart. */
  beforeAndAfterRestart(check: (s: Store) => void): Promise<void>;
}
