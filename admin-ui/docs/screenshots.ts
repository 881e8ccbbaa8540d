/**
 * The README's screenshots: a broker with a little steady traffic for half a minute (so the charts have lines), then
 * the overview and a queue page, light theme, 1280x800.
 *
 *   node -r ./bench/ts-register.cjs admin-ui/docs/screenshots.ts
 */
import * as amqp from 'amqplib';
import { join } from 'node:path';
import { launchBrowser, login, openPage, startUiBroker } from '../e2e/support/harness';

async function main(): Promise<void> {
  const ui = await startUiBroker();
  const browser = await launchBrowser();
  const conn = await amqp.connect(ui.broker.url, { clientProperties: { connection_name: 'orders-service' } });
  try {
    const ch = await conn.createChannel();
    await ch.assertExchange('orders', 'topic');
    await ch.assertQueue('orders.created', { arguments: { 'x-max-length': 100000, 'x-dead-letter-exchange': 'orders.dlx' } });
    await ch.assertQueue('orders.audit');
    await ch.bindQueue('orders.created', 'orders', 'order.created.#');
    await ch.bindQueue('orders.audit', 'orders', 'order.#');
    await ch.prefetch(50);
    await ch.consume('orders.created', (m) => {
      if (m !== null) ch.ack(m);
    });
    // Traffic until the screenshots are taken: 400 msg/s into a topic exchange, one queue consumed, one growing.
    let publishing = true;
    const traffic = (async () => {
      while (publishing) {
        for (let i = 0; i < 40; i++) ch.publish('orders', 'order.created.eu', Buffer.from(JSON.stringify({ id: i, total: 12.5 })));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await new Promise((r) => setTimeout(r, 32_000));
    const w = await openPage(browser, ui.base);
    await w.page.setViewportSize({ width: 1280, height: 800 });
    await w.page.emulateMedia({ colorScheme: 'light' });
    await login(w, ui.base);
    for (const [name, hash] of [['overview', '#/'], ['queue', '#/queues/%2F/orders.created']] as const) {
      await w.page.goto(`${ui.base}/${hash}`);
      await w.page.locator('main h1').first().waitFor();
      await w.page.waitForTimeout(1500);
      await w.page.screenshot({ path: join(__dirname, `${name}.png`) });
    }
    publishing = false;
    await traffic;
    if (w.problems.length > 0) throw new Error(w.problems.join('\n'));
  } finally {
    await conn.close().catch(() => undefined);
    await browser.close();
    await ui.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
