/** Dead-letter topology for the conformance tests. */
import type * as amqp from 'amqplib';
import { cleanup, uniqueName } from './broker';

/** A fanout DLX with one exclusive queue bound to it: where dead letters land. */
export async function deadLetterSink(ch: amqp.Channel): Promise<{ dlx: string; dlq: string }> {
  const dlx = cleanup.exchange(uniqueName('dlx'));
  await ch.assertExchange(dlx, 'fanout', { durable: false });
  const { queue: dlq } = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(dlq, dlx, '');
  return { dlx, dlq };
}
