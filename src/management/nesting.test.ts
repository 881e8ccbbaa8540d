import { MAX_NESTING, encodeTable, type FieldTable } from '../protocol/field-table';
import { MAX_BODY_NESTING } from './body';
import { boundedJson, fieldTableToJson, nestedDeeperThan, TOO_DEEP } from '../admin/json';
import { useFixture } from './test-support/use-fixture';
import { as } from './test-support/http';

/*
 * Issue 11: one user could break listings for all. A queue with arguments nested 5,000 deep was accepted by PUT
 * /api/queues, and GET /api/queues then answered 500 for everyone (rendering it overflowed the stack).
 */

const fx = useFixture();

const call = fx.call;

/** An object with objects nested `levels` below it: {x: {x: ... {}}}; it is level 0, the innermost {} level `levels`. */
function nested(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = {};
  for (let i = 0; i < levels; i++) v = { x: v };
  return v;
}

/** `{"x":{"x":...{}}}` as text, for depths JSON.stringify cannot reach. */
function nestedText(levels: number): string {
  return `${'{"x":'.repeat(levels)}{}${'}'.repeat(levels)}`;
}

const TOO_DEEP_ARGS = (what: string) => ({ error: 'bad_request', reason: `${what} is nested deeper than ${MAX_NESTING} levels` });

describe('nesting is refused at the door', () => {
  test('5,000-deep queue arguments are 400, and GET /api/queues still answers for everyone', async () => {
    const body = `{"durable":false,"arguments":{"x-deep":${nestedText(5000)}}}`;
    const res = await call('PUT', '/api/queues/%2F/deep', body);
    expect(res).toMatchObject({ status: 400, body: { error: 'bad_request', reason: `the request body is nested deeper than ${MAX_BODY_NESTING} levels` } });
    expect(fx.f.vhosts.get('/')?.queues.has('deep')).toBe(false);
    expect((await call('GET', '/api/queues')).status).toBe(200);
    expect((await call('GET', '/api/queues', undefined, as('mgmt'))).status).toBe(200);
  });

  test('arguments one level deeper than the codec allows are 400 with a reason naming them; at the limit they are fine', async () => {
    expect(await call('PUT', '/api/queues/%2F/q65', { durable: false, arguments: nested(MAX_NESTING + 1) })).toEqual(
      expect.objectContaining({ status: 400, body: TOO_DEEP_ARGS('arguments') }),
    );
    expect(fx.f.vhosts.get('/')?.queues.has('q65')).toBe(false);
    // At the limit the codec can encode them, so a durable queue stores them; the API shows them whole.
    expect(() => encodeTable(nested(MAX_NESTING) as FieldTable)).not.toThrow();
    expect(() => encodeTable(nested(MAX_NESTING + 1) as FieldTable)).toThrow();
    expect((await call('PUT', '/api/queues/%2F/q64', { durable: true, arguments: nested(MAX_NESTING) })).status).toBe(201);
    expect((await call('GET', '/api/queues/%2F/q64')).body.arguments).toEqual(nested(MAX_NESTING));
  });

  test.each([
    { method: 'PUT', url: '/api/exchanges/%2F/x', body: (a: unknown) => ({ type: 'direct', arguments: a }), what: 'arguments' },
    { method: 'POST', url: '/api/bindings/%2F/e/amq.direct/q/bq', body: (a: unknown) => ({ routing_key: 'k', arguments: a }), what: 'arguments' },
    { method: 'PUT', url: '/api/policies/%2F/p', body: (a: unknown) => ({ pattern: '^x', definition: { 'max-length': 1, 'ha-params': a } }), what: 'definition' },
    { method: 'PUT', url: '/api/parameters/federation-upstream/%2F/up', body: (a: unknown) => ({ value: a }), what: 'value' },
    { method: 'PUT', url: '/api/global-parameters/g', body: (a: unknown) => ({ value: a }), what: 'value' },
    {
      method: 'POST',
      url: '/api/exchanges/%2F/amq.direct/publish',
      body: (a: unknown) => ({ routing_key: 'bq', properties: { headers: a }, payload: 'x', payload_encoding: 'string' }),
      what: 'properties.headers',
    },
  ] as const)('$method $url refuses $what nested too deep', async ({ method, url, body, what }) => {
    await call('PUT', '/api/queues/%2F/bq', { durable: false });
    // The policy definition and the headers sit one level below what is checked.
    const depth = what === 'definition' ? MAX_NESTING : MAX_NESTING + 1;
    expect(await call(method, url, body(nested(depth)))).toEqual(expect.objectContaining({ status: 400, body: TOO_DEEP_ARGS(what) }));
    expect((await call(method, url, body(nested(3)))).status).toBeLessThan(300);
  });

  test('definitions import refuses arguments, policy definitions and parameter values nested too deep, naming the item', async () => {
    const deep = nested(MAX_NESTING + 1);
    const documents: Array<[Record<string, unknown>, string]> = [
      [{ queues: [{ vhost: '/', name: 'dq', arguments: deep }] }, 'queues[0].arguments'],
      [{ exchanges: [{ vhost: '/', name: 'dx', type: 'direct', arguments: deep }] }, 'exchanges[0].arguments'],
      [{ bindings: [{ vhost: '/', source: 'amq.direct', destination: 'dq', destination_type: 'queue', routing_key: 'k', arguments: deep }] }, 'bindings[0].arguments'],
      [{ policies: [{ vhost: '/', name: 'dp', pattern: '^d', definition: deep }] }, 'policies[0].definition'],
      [{ parameters: [{ vhost: '/', component: 'c', name: 'n', value: deep }] }, 'parameters[0].value'],
      [{ global_parameters: [{ name: 'g', value: deep }] }, 'global_parameters[0].value'],
    ];
    for (const [document, path] of documents) {
      expect(await call('POST', '/api/definitions', document)).toEqual(
        expect.objectContaining({ status: 400, body: { error: 'bad_request', reason: `${path} is nested deeper than ${MAX_NESTING} levels` } }),
      );
    }
    expect(fx.f.vhosts.get('/')?.queues.has('dq')).toBe(false);
  });
});

describe('whatever is stored, listings answer', () => {
  test('queue arguments held 5,000 deep (from before the check) show cut at the limit', async () => {
    let deep: FieldTable = {};
    for (let i = 0; i < 5000; i++) deep = { x: deep };
    fx.f.vhosts.get('/')?.declareQueue({ name: 'legacy', passive: false, durable: false, exclusive: false, autoDelete: false, arguments: { 'x-deep': deep } }, {});
    for (const url of ['/api/queues', '/api/queues/%2F/legacy', '/api/queues/%2F']) {
      expect({ url, status: (await call('GET', url)).status }).toEqual({ url, status: 200 });
    }
    const shown = (await call('GET', '/api/queues/%2F/legacy')).body.arguments;
    expect(nestedDeeperThan(shown, MAX_NESTING)).toBe(false);
    let at: unknown = shown;
    for (let i = 0; i < MAX_NESTING; i++) at = (at as Record<string, unknown>)[i === 0 ? 'x-deep' : 'x'];
    expect(at).toEqual({ x: TOO_DEEP });
  });

  test('policy definitions and parameter values stored too deep are listed cut at the limit', async () => {
    // As deep as the store takes (it refuses what JSON.stringify cannot write).
    const deep = nested(1000);
    fx.f.store.putParameter({ component: 'policy', vhost: '/', name: 'legacy', value: { pattern: '^l', 'apply-to': 'all', definition: deep, priority: 0 } });
    fx.f.store.putParameter({ component: 'federation-upstream', vhost: '/', name: 'legacy', value: deep });
    fx.f.store.putParameter({ component: 'global', vhost: '', name: 'legacy', value: deep });
    for (const url of ['/api/policies', '/api/policies/%2F/legacy', '/api/parameters', '/api/global-parameters', '/api/definitions', '/api/definitions/%2F']) {
      const res = await call('GET', url);
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
    }
    expect(nestedDeeperThan((await call('GET', '/api/policies/%2F/legacy')).body.definition, MAX_NESTING)).toBe(false);
    expect(nestedDeeperThan((await call('GET', '/api/parameters/federation-upstream/%2F/legacy')).body.value, MAX_NESTING)).toBe(false);
    expect(nestedDeeperThan((await call('GET', '/api/global-parameters/legacy')).body.value, MAX_NESTING)).toBe(false);
    const exported = (await call('GET', '/api/definitions')).body;
    expect(nestedDeeperThan(exported.global_parameters, MAX_NESTING + 2)).toBe(false);
    expect(nestedDeeperThan(exported.policies, MAX_NESTING + 2)).toBe(false);
  });

  test('the formatters are bounded without the API', () => {
    let deep: FieldTable = {};
    for (let i = 0; i < 100_000; i++) deep = { x: [deep] };
    expect(nestedDeeperThan(fieldTableToJson(deep), MAX_NESTING)).toBe(false);
    expect(nestedDeeperThan(boundedJson(deep), MAX_NESTING)).toBe(false);
    expect(boundedJson(nested(MAX_NESTING))).toEqual(nested(MAX_NESTING));
    expect(fieldTableToJson(nested(MAX_NESTING) as FieldTable)).toEqual(nested(MAX_NESTING));
  });
});
