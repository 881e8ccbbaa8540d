/*
 * The queue's consumers (from its consumer_details) and its bindings (GET /api/queues/{vh}/{q}/bindings), read-only:
 * bindings are added and removed on the exchange's page, which each row links to.
 */
import { ErrorBox, Value } from '../components/ui';
import { api, apiPath } from '../lib/api';
import { num } from '../lib/format';
import { useLive } from '../lib/live';
import { href } from '../lib/router';

export interface ConsumerDetail {
  readonly consumer_tag: string;
  readonly channel_details?: { readonly name?: string; readonly connection_name?: string; readonly user?: string };
  readonly ack_required?: boolean;
  readonly prefetch_count?: number;
  readonly active?: boolean;
  readonly activity_status?: string;
  readonly exclusive?: boolean;
  readonly arguments?: Record<string, unknown>;
}

const yesNo = (v: boolean | undefined): string => (v === undefined ? '—' : v ? 'yes' : 'no');

export function QueueConsumers(props: { consumers: readonly ConsumerDetail[] }) {
  if (props.consumers.length === 0) return <p class="muted">No consumers.</p>;
  return (
    <table class="grid" aria-label="Consumers">
      <thead>
        <tr>
          <th scope="col">Consumer tag</th>
          <th scope="col">Channel</th>
          <th scope="col">User</th>
          <th scope="col">Ack required</th>
          <th scope="col">Exclusive</th>
          <th scope="col" class="num">
            Prefetch
          </th>
          <th scope="col">Active</th>
          <th scope="col">Arguments</th>
        </tr>
      </thead>
      <tbody>
        {props.consumers.map((c) => {
          const channel = c.channel_details?.name;
          return (
            <tr key={`${channel ?? ''}\u0000${c.consumer_tag}`}>
              <td>{c.consumer_tag}</td>
              <td>{channel === undefined ? '—' : <a href={href(['channels', channel])}>{channel}</a>}</td>
              <td>{c.channel_details?.user ?? '—'}</td>
              <td>{yesNo(c.ack_required)}</td>
              <td>{yesNo(c.exclusive)}</td>
              <td class="num">{num(c.prefetch_count)}</td>
              <td>{c.activity_status ?? yesNo(c.active)}</td>
              <td>{Object.keys(c.arguments ?? {}).length === 0 ? '' : <Value value={c.arguments} />}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
