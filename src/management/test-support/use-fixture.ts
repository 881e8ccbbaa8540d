import type { FastifyInstance } from 'fastify';
import { buildFixture, type Fixture, type FixtureOptions } from './fixture';
import { caller, request, type Method } from './http';

/** The fixture of the running test, built before each test and closed after it (useFixture). */
export interface LiveFixture {
  /** The current test's fixture. */
  readonly f: Fixture;
  /** Its app. */
  readonly app: FastifyInstance;
  /** request() against the current app (http.ts). */
  readonly call: ReturnType<typeof caller>;
  /** Closes the current fixture and builds another with these options, for the rest of the test. */
  replace(options: FixtureOptions): Promise<Fixture>;
}

/**
 * A fresh fixture for every test of the file (or describe block) that calls it: the setup the management tests
 * share, in one place.
 */
export function useFixture(options: FixtureOptions = {}): LiveFixture {
  let current: Fixture | undefined;
  beforeEach(() => {
    current = buildFixture(options);
  });
  afterEach(async () => {
    await current?.app.close();
    current = undefined;
  });
  const live: LiveFixture = {
    get f(): Fixture {
      if (current === undefined) throw new Error('useFixture: no test is running');
      return current;
    },
    get app(): FastifyInstance {
      return live.f.app;
    },
    call: caller(() => live.app),
    async replace(next: FixtureOptions): Promise<Fixture> {
      await current?.app.close();
      current = buildFixture(next);
      return current;
    },
  };
  return live;
}

/**
 * For tests that need several brokers' APIs at once (an export imported into a fresh one): `fresh()` builds one,
 * every one built in a test is closed after it; `call(f, ...)` is request() against that fixture's app.
 */
export function useFixtures(options: FixtureOptions = {}): {
  fresh(): Fixture;
  call(f: Fixture, method: Method, url: string, body?: unknown, headers?: Record<string, string>): ReturnType<typeof request>;
} {
  const built: Fixture[] = [];
  afterEach(async () => {
    await Promise.all(built.splice(0).map((f) => f.app.close()));
  });
  return {
    fresh(): Fixture {
      const f = buildFixture(options);
      built.push(f);
      return f;
    },
    call: (f, method, url, body, headers) => request(f.app, method, url, body, headers),
  };
}
