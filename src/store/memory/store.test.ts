import { MemoryStore } from './store';
import { storeContract } from '../test-support/contract';

storeContract('MemoryStore', () => {
  const store = new MemoryStore();
  return {
    store,
    reopen: () => store, // a broker restarted on the same instance sees its state
    cleanup: () => undefined,
    bodies: () => store.messageCount(),
  };
});
