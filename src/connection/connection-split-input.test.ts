/**
 * A client session fed whole, cut at every byte offset, and one byte per write: the same replies, byte for byte
 * (the frame reader over a chunk list, and the connection handing frames on as they complete).
 */
import { settle, tick } from './test-support/harness';
import { EXPECTED_TRACE_REPLIES, Harness, clientTrace, decodeFrames } from './test-support/wire';

describe('Connection: split input', () => {
  test('the whole client trace in one write gives the expected replies', async () => {
    const h = new Harness();
    h.send(clientTrace());
    await settle();
    expect(h.frames()).toEqual(EXPECTED_TRACE_REPLIES);
    expect(h.clientEnded).toBe(false); // after close-ok the client closes the socket
    await h.finish();
  });

  test('the trace cut at every byte offset gives the same reply bytes', async () => {
    const trace = clientTrace();
    const whole = new Harness();
    whole.send(trace);
    await settle();
    const expected = whole.bytes();
    await whole.finish();
    expect(decodeFrames(expected)).toEqual(EXPECTED_TRACE_REPLIES);

    const mismatches: number[] = [];
    for (let cut = 1; cut < trace.length; cut++) {
      const h = new Harness();
      h.send(trace.subarray(0, cut));
      await tick();
      h.send(trace.subarray(cut));
      await settle();
      if (!h.bytes().equals(expected)) mismatches.push(cut);
      await h.finish();
    }
    expect(mismatches).toEqual([]);
  });

  test('the trace fed one byte per write gives the same reply bytes', async () => {
    const trace = clientTrace();
    const h = new Harness();
    for (let i = 0; i < trace.length; i++) h.send(trace.subarray(i, i + 1));
    await settle();
    expect(h.frames()).toEqual(EXPECTED_TRACE_REPLIES);
    await h.finish();
  });
});
