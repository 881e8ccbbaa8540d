/*
 * RabbitMQ's definitions file: users, vhosts, permissions, topic permissions, runtime parameters, global
 * parameters, policies, exchanges, queues and bindings as one JSON document. Used by the management API
 * (GET/POST /api/definitions) and by start-up (the loadDefinitions setting).
 *
 *   common.ts   the target (vhosts, access control, store), DefinitionsError, shared constants
 *   export.ts   the broker's state as a document
 *   parse.ts    a document's fields read and type-checked (RabbitMQ's names to ours), nothing applied yet
 *   import.ts   a parsed document applied in RabbitMQ's order; the boot-time file import
 */
export { DefinitionsError, type DefinitionsTarget, type ProductInfo } from './common';
export { exportDefinitions, exportVhostDefinitions } from './export';
export { importDefinitions, loadDefinitionsFile, type ImportSummary } from './import';
