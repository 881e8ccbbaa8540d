import type { FastifyInstance } from 'fastify';
import { AccessControl } from '../../auth/access';
import { MessageStats } from '../../observability/stats';
import { DEFAULT_HASHING_ALGORITHM, hashPassword } from '../../auth/passwords';
import { MemoryStore } from '../../store/memory';
import { VhostRegistry } from '../../vhost/registry';
import { buildManagementApp } from '../app';
import { mismatch } from './conforms';
import { AdminService } from '../../admin/service';
import type { ConnectionInfo } from '../../connection/info';
import type { LoginThrottle } from '../../auth/login-throttle';
import type { Logger } from 'pino';

export type { ChannelInfo, ConnectionInfo, ConsumerInfo } from '../../connection/info';
import type { ManagementDeps } from '../deps';

export const NODE_NAME = 'leveret@test';

export interface Fixture {
  app: FastifyInstance;
  deps: ManagementDeps;
  access: AccessControl;
  vhosts: VhostRegistry;
  store: MemoryStore;
  connections: FakeConnection[];
}

export interface FakeConnection extends ConnectionInfo {
  closedWith?: string;
}

export function fakeConnection(overrides: Partial<ConnectionInfo> = {}): FakeConnection {
  const c: FakeConnection = {
    name: '127.0.0.1:50000 -> 127.0.0.1:5672',
    user: 'guest',
    vhost: '/',
    peerHost: '127.0.0.1',
    peerPort: 50000,
    host: '127.0.0.1',
    port: 5672,
    channelCount: 2,
    connectedAt: 1_700_000_000_000,
    clientProperties: { product: 'amqplib', capabilities: { publisher_confirms: true } },
    frameMax: 131072,
    channelMax: 2047,
    heartbeat: 60,
    ...overrides,
    close(reason: string) {
      c.closedWith = reason;
    },
  };
  return c;
}

function user(access: AccessControl, name: string, password: string, tags: string[]): void {
  access.putUser({ name, passwordHash: hashPassword(password), hashingAlgorithm: DEFAULT_HASHING_ALGORITHM, tags });
}

/**
 * A real VhostRegistry and AccessControl on a MemoryStore: vhost '/', users guest (administrator, all on '/'),
 * mon (monitoring), mgmt (management, permissions on '/' only), plain (no tags).
 */
export interface FixtureOptions {
  loopbackUsers?: string[];
  logins?: LoginThrottle;
  logger?: Logger;
  /** Check every response against its route's response schema (default); off where a test times the API. */
  checkResponses?: boolean;
}

export function buildFixture(options: FixtureOptions = {}): Fixture {
  const store = new MemoryStore();
  const access = new AccessControl(store, new Set(options.loopbackUsers ?? []));
  const vhosts = new VhostRegistry(store);
  vhosts.put({ name: '/', description: 'Default virtual host', tags: [] });
  user(access, 'guest', 'guest', ['administrator']);
  user(access, 'mon', 'mon', ['monitoring']);
  user(access, 'mgmt', 'mgmt', ['management']);
  user(access, 'plain', 'plain', []);
  access.setPermission({ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' });
  access.setPermission({ user: 'mgmt', vhost: '/', configure: '.*', write: '.*', read: '.*' });
  const connections: FakeConnection[] = [];
  const deps: ManagementDeps = {
    admin: new AdminService({
      vhosts,
      access,
      store,
      connections: () => connections,
      nodeName: NODE_NAME,
      ...(options.logins === undefined ? {} : { logins: options.logins }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    stats: new MessageStats(),
    node: {
      name: NODE_NAME,
      startedAt: Date.now() - 5000,
      product: 'Leveret',
      version: '0.1.0',
      amqpListeners: [{ ip: '127.0.0.1', port: 5672 }],
    },
  };
  const app = buildManagementApp(deps);
  // Every response must fit its route's response schema (the schemas pin RabbitMQ's names and types).
  if (options.checkResponses !== false) {
    app.addHook('preSerialization', async (request, reply, payload) => {
      const responses = request.routeOptions.schema?.response as Record<string, Record<string, unknown>> | undefined;
      const schema = responses?.[String(reply.statusCode)];
      const problem = schema === undefined ? undefined : mismatch(payload, schema);
      if (problem !== undefined) throw new Error(`${request.method} ${request.url} answers outside its response schema: ${problem}`);
      return payload;
    });
  }
  return { app, deps, access, vhosts, store, connections };
}

export function basic(userName: string, password: string): string {
  return `Basic ${Buffer.from(`${userName}:${password}`).toString('base64')}`;
}

export const GUEST = { authorization: basic('guest', 'guest') };
