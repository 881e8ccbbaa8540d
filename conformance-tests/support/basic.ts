/** basic.* helpers for the basic-class conformance files: a queue filled with messages, a basic.get that must hit. */
import type * as amqp from 'amqplib';
import { waitForReady } from './broker';

/** A server-named exclusive queue holding `bodies`, in order, all of them ready. */
export async function queueWith(ch: amqp.Channel, bodies: string[]): Promise<string> {
  const q = await ch.assertQueue('', { exclusive: true });
  for (const b of bodies) ch.sendToQueue(q.queue, Buffer.from(b));
  await waitForReady(ch, q.queue, bodies.length);
  return q.queue;
}

/** One basic.get that must return a message now (unlike broker.ts getOne, it does not wait for one). */
export async function getNow(ch: amqp.Channel, queue: string, noAck = false): Promise<amqp.GetMessage> {
  const m = await ch.get(queue, { noAck });
  if (m === false) throw new Error(`queue ${queue} unexpectedly empty`);
  return m;
}

/** Every message in `queue`, taken with basic.get (noAck), whole (properties and fields too). */
export async function getAll(ch: amqp.Channel, queue: string): Promise<amqp.GetMessage[]> {
  const out: amqp.GetMessage[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (m === false) return out;
    out.push(m);
  }
}
