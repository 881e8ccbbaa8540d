/**
 * The closing handshake as RabbitMQ runs it (rabbit_reader: maybe_close, close_connection, handle_method0 when
 * stopping). After its connection.close-ok the broker leaves the socket to the client: a client that closes from
 * several threads at once (the Go client does) may send connection.close again and must get close-ok again, not EOF.
 * Frames on other channels and heartbeats are discarded; the client's close-ok or its end of the socket ends the
 * connection; the broker closes the socket itself only after the client's heartbeat interval (30 s without one).
 */
import { RawClient, type RawFrame } from './support/raw';
import { MethodId } from './support/raw';
import { setupBroker } from './support/broker';

const broker = setupBroker();

const BYE = { replyCode: 200, replyText: 'bye', classId: 0, methodId: 0 };

/** What arrives within `ms`: a frame, 'closed' (the server closed the socket), or 'nothing'. */
async function within(client: RawClient, ms: number): Promise<RawFrame | 'closed' | 'nothing'> {
  try {
    return await client.nextFrame(ms);
  } catch (err) {
    if (/timed out/.test((err as Error).message)) return 'nothing';
    throw err;
  }
}

describe('closing handshake', () => {
  test('after close-ok the socket stays open; a second connection.close gets close-ok again; other frames are discarded', async () => {
    const client = await RawClient.connect(broker.url);
    try {
      await client.openChannel(1);
      client.sendMethod(0, MethodId.ConnectionClose, BYE);
      await client.expectMethod(MethodId.ConnectionCloseOk);
      expect(await within(client, 700)).toBe('nothing');
      expect(client.isClosed).toBe(false);

      // A frame for a channel and a heartbeat: nothing comes back, the socket stays.
      client.sendMethod(1, MethodId.BasicQos, { prefetchSize: 0, prefetchCount: 1, global: false });
      client.write(Buffer.from([8, 0, 0, 0, 0, 0, 0, 0xce]));
      expect(await within(client, 500)).toBe('nothing');

      // Another thread of the client closes too.
      client.sendMethod(0, MethodId.ConnectionClose, BYE);
      const again = await client.nextMethod(2000);
      expect(again).not.toBe('closed');
      expect(again !== 'closed' && { channel: again.channel, id: again.id }).toEqual({ channel: 0, id: MethodId.ConnectionCloseOk });
      expect(client.isClosed).toBe(false);
    } finally {
      client.destroy();
    }
  });

  test("the client's close-ok after the broker's close-ok ends the connection", async () => {
    const client = await RawClient.connect(broker.url);
    try {
      client.sendMethod(0, MethodId.ConnectionClose, BYE);
      await client.expectMethod(MethodId.ConnectionCloseOk);
      client.sendMethod(0, MethodId.ConnectionCloseOk, {});
      await client.waitForClose(3000);
      expect(client.isClosed).toBe(true);
    } finally {
      client.destroy();
    }
  });

  test("with a heartbeat of 1 s the broker closes the socket itself about a heartbeat after its close-ok", async () => {
    const client = await RawClient.connect(broker.url, { heartbeat: 1 });
    try {
      client.sendMethod(0, MethodId.ConnectionClose, BYE);
      await client.expectMethod(MethodId.ConnectionCloseOk);
      const sentAt = Date.now();
      expect(client.isClosed).toBe(false);
      await client.waitForClose(5000);
      const waited = Date.now() - sentAt;
      expect(waited).toBeGreaterThanOrEqual(500);
      expect(waited).toBeLessThan(4000);
    } finally {
      client.destroy();
    }
  });
});
