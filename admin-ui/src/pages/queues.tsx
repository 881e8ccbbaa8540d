/*
 * The queues page: `#/queues` lists them (optionally in one vhost, ?vhost=), `#/queues/<vhost>/<name>` shows one.
 * `?view=browse` on a queue shows its message browser and re-drive (queue-browse.tsx). All live in this page's chunk; the chart library loads only when the detail draws a chart.
 */
import type { PageProps } from '../routes';
import { QueueBrowse } from './queue-browse';
import { QueueDetail } from './queue-detail';
import { QueueList } from './queue-list';

export default function Page(props: PageProps) {
  const [, vhost, name] = props.route.path;
  if (vhost !== undefined && name !== undefined && props.route.query.view === 'browse') {
    return <QueueBrowse key={`${vhost}\u0000${name}`} vhost={vhost} name={name} query={props.route.query} />;
  }
  if (vhost !== undefined && name !== undefined) {
    // Keyed by the queue, so that its forms and results start afresh when another queue is opened.
    return <QueueDetail key={`${vhost}\u0000${name}`} vhost={vhost} name={name} query={props.route.query} />;
  }
  return <QueueList query={props.route.query} />;
}
