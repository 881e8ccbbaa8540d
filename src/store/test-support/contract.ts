/**
 * The Store contract: every Store implementation runs this suite (memory/store.test.ts, sqlite/store.test.ts,
 * sqlite/writer.test.ts). It lives under test-support/ so the production build and its dependency rules leave it out.
 *
 * make() returns a fresh, empty store; reopen() closes the current one and opens the same state again (a broker
 * restart: for the memory store, the same instance); cleanup() closes and removes what make() created (each of the
 * three may return a promise: a PostgreSQL store opens and closes asynchronously). bodies(), when given, counts the message bodies the store holds (rows of the messages table for SQLite).
 *
 * The checks live by feature in contract/; this entry runs them all against one store factory.
 */
import { afterEach, beforeEach, describe } from '@jest/globals';
import type { Store } from '../store';
import { auditContract } from './contract/audit';
import type { ContractContext } from './contract/context';
import { browseContract } from './contract/browse';
import { definitionsContract } from './contract/definitions';
import { delayedContract } from './contract/delayed';
import { durabilityContract } from './contract/durability';
import { expiryContract } from './contract/expiry';
import type { StoreFixture } from './contract/fixtures';
import { messagesContract } from './contract/messages';
import { parametersContract } from './contract/parameters';
import { priorityContract } from './contract/priority';
import { quarantineContract } from './contract/quarantine';

export { EVERY_TYPE, type StoreFixture } from './contract/fixtures';

export function storeContract(name: string, make: () => StoreFixture | Promise<StoreFixture>): void {
  describe(`Store contract: ${name}`, () => {
    let fx: StoreFixture | undefined;
    let store: Store | undefined;
    const ctx: ContractContext = {
      get fx(): StoreFixture {
        if (fx === undefined) throw new Error('no store fixture outside a test');
        return fx;
      },
      get store(): Store {
        if (store === undefined) throw new Error('no store outside a test');
        return store;
      },
      async restart(): Promise<Store> {
        await ctx.store.flush();
        store = await ctx.fx.reopen();
        return store;
      },
      async beforeAndAfterRestart(check: (s: Store) => void): Promise<void> {
        check(ctx.store);
        check(await ctx.restart());
      },
    };

    beforeEach(async () => {
      fx = await make();
      store = fx.store;
    });
    afterEach(async () => {
      await fx?.cleanup();
      fx = undefined;
      store = undefined;
    });

    definitionsContract(ctx);
    parametersContract(ctx);
    messagesContract(ctx);
    expiryContract(ctx);
    priorityContract(ctx);
    browseContract(ctx);
    delayedContract(ctx);
    quarantineContract(ctx);
    auditContract(ctx);
    durabilityContract(ctx);
  });
}
