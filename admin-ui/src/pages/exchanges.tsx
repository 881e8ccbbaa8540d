/*
 * The exchanges page: `#/exchanges` is the list, `#/exchanges/<vhost>/<name>` one exchange. The default exchange's
 * name is empty, so its address ends in an empty segment (`#/exchanges/%2F/`), which the router parses back to ''.
 */
import type { PageProps } from '../routes';
import { ExchangeDetail } from './exchange-detail';
import { ExchangeList } from './exchange-list';

export default function ExchangesPage(props: PageProps) {
  const [, vhost, name] = props.route.path;
  // `#/exchanges/` (a trailing slash) and `#/exchanges/<vhost>` (no name segment) show the list: its vhost choice
  // lives in the query, with the rest of its state.
  if (vhost === undefined || vhost === '') return <ExchangeList />;
  if (name === undefined) return <ExchangeList />;
  return <ExchangeDetail key={`${vhost}\u0000${name}`} vhost={vhost} name={name} />;
}
