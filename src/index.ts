/** Library entry: `import { startBroker } from 'leveret'`. */
export { startBroker, type BrokerOptions, type RunningBroker } from './broker';
export type { Settings, LogLevel } from './config/settings';
export type { Store } from './store/store';
export { MemoryStore } from './store/memory';
