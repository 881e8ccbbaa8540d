/*
 * #/channels: every channel the user may see, filtered, sorted and paged by the API, optionally in one vhost
 * (?vhost=...). #/channels/<name>: one channel with its consumers.
 */
import type { PageProps } from '../routes';
import { List } from '../components/list';
import { PageTitle } from '../components/ui';
import { ChannelDetail } from './channel-detail';
import { VhostSelect, useVhostNames } from '../components/vhost-select';
import { channelColumns, listResource, type ChannelRow } from './connection-common';

const COLUMNS = channelColumns(true);

export default function Page(props: PageProps) {
  const name = props.route.path[1];
  if (name !== undefined) return <ChannelDetail name={name} />;
  return <ChannelList vhost={props.route.query.vhost} />;
}

function ChannelList(props: { vhost: string | undefined }) {
  const vhosts = useVhostNames();
  return (
    <>
      <PageTitle title="Channels">
        <VhostSelect value={props.vhost} names={vhosts} />
      </PageTitle>
      <List<ChannelRow> resource={listResource('channels', props.vhost)} columns={COLUMNS} rowKey={(ch) => ch.name} noun="channel" />
    </>
  );
}
