/** The in-memory store: the one entry the composition root, the library entry and tests import it through. */
export { MemoryStore } from './store';
