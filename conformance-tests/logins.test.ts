/**
 * Failed logins, repeated (issue 11). RabbitMQ 3.10 refuses every wrong password the same way, however many came
 * before from the same client: a client announcing authentication_failure_close gets connection.close 403 (at once
 * in RabbitMQ; Leveret holds the refusal back a little after earlier failures from the same address), any other
 * client sees the socket close (after 3 s in RabbitMQ). The right password right after is accepted at once.
 * Leveret's delays themselves are checked in extensions/limits-and-logins.test.ts.
 */
import { Reply } from './support/codes';
import { setupBroker } from './support/broker';
import { RawClient } from './support/raw';

const broker = setupBroker();

const FAILURE_CLOSE = { product: 'raw', capabilities: { authentication_failure_close: true } };
const REFUSED = {
  replyCode: Reply.ACCESS_REFUSED,
  replyText: 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.',
  classId: 0,
  methodId: 0,
};

describe('repeated failed logins (RabbitMQ)', () => {
  test('each of several wrong passwords in a row gets connection.close 403; the right password then succeeds', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await RawClient.open(broker.url);
      const result = await r.handshake({ password: `wrong-${i}`, clientProperties: FAILURE_CLOSE, timeoutMs: 10000 });
      expect(result).toBeInstanceOf(Error);
      expect((result as Error & { close: unknown }).close).toEqual(REFUSED);
      r.destroy();
    }
    const ok = await RawClient.open(broker.url);
    const result = await ok.handshake({ timeoutMs: 2000 });
    if (result instanceof Error) throw result;
    await ok.openChannel(1);
    await ok.close();
  });

  test('after failures, a client without authentication_failure_close still sees only the socket close', async () => {
    const r = await RawClient.open(broker.url);
    const result = await r.handshake({ password: 'wrong', timeoutMs: 10000 });
    expect(result).toBeInstanceOf(Error);
    expect((result as Error & { close: unknown }).close).toBe('socket-closed');
  });
});
