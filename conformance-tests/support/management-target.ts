/**
 * The broker a management-API conformance file talks to: RabbitMQ (or any broker) at AMQP_URL with its API at
 * MANAGEMENT_URL, else a Leveret started in-process on ephemeral ports with its own API.
 */
export interface ManagementTarget {
  amqpUrl: string;
  /** The API's base URL, without a trailing slash. */
  httpUrl: string;
  close(): Promise<void>;
}

/** `what` names the tests in the error when AMQP_URL is set without MANAGEMENT_URL. */
export async function managementTarget(what = 'management tests'): Promise<ManagementTarget> {
  const external = process.env.AMQP_URL;
  if (external !== undefined && external !== '') {
    const httpUrl = process.env.MANAGEMENT_URL;
    if (httpUrl === undefined || httpUrl === '') throw new Error(`${what} against AMQP_URL need MANAGEMENT_URL`);
    return { amqpUrl: external, httpUrl: httpUrl.replace(/\/$/, ''), close: async () => {} };
  }
  // A path in a variable: the conformance suite never imports the broker statically (it must run against any broker).
  const brokerModulePath = '../../src/broker';
  const mod = (await import(brokerModulePath)) as {
    startBroker(options: unknown): Promise<{ url: string; httpUrl: string; close(): Promise<void> }>;
  };
  const broker = await mod.startBroker({ port: 0, amqp: { bind: ['127.0.0.1'] }, http: { bind: ['127.0.0.1'], port: 0 }, logLevel: 'silent' });
  return { amqpUrl: broker.url, httpUrl: broker.httpUrl, close: () => broker.close() };
}

/** POST /api/exchanges/%2F/{exchange}/publish as guest; expects 200 and returns the reply's `routed`. */
export async function httpPublish(
  target: ManagementTarget,
  exchange: string,
  routingKey: string,
  payload: string,
  properties: Record<string, unknown> = {},
): Promise<boolean> {
  const response = await fetch(`${target.httpUrl}/api/exchanges/%2F/${encodeURIComponent(exchange)}/publish`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ routing_key: routingKey, properties, payload, payload_encoding: 'string' }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { routed: boolean }).routed;
}
