/**
 * HEAD on a live tail (found by npm run fuzz:http): the headers a GET would start the stream with, and nothing
 * logged. The async handler used to let Fastify send a second time, which logged ERR_HTTP_HEADERS_SENT at level
 * error for every HEAD.
 */
import { LogLines } from '../../test-support/log-lines';
import { createLogger } from '../../observability/logger';
import { buildFixture, GUEST } from '../test-support/fixture';


test.each(['/api/leveret/queues/%2F/tq/tail', '/api/leveret/exchanges/%2F/amq.direct/tail'])('HEAD %s: 200 text/event-stream, no error logged', async (url) => {
  const log = new LogLines();
  const { app } = buildFixture({ logger: createLogger({ level: 'info', destination: log }) });
  try {
    expect((await app.inject({ method: 'PUT', url: '/api/queues/%2F/tq', headers: { ...GUEST, 'content-type': 'application/json' }, payload: '{}' })).statusCode).toBe(201);
    const res = await app.inject({ method: 'HEAD', url, headers: GUEST });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
  } finally {
    await app.close();
  }
});
