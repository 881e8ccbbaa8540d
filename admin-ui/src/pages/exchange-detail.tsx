/*
 * `#/exchanges/<vhost>/<name>` (`#/exchanges/%2F/` is the default exchange): what the exchange is, its publish rates
 * over a chosen range, its bindings out and in (with bind and unbind), a publish form, and delete.
 */
import { api, apiPath, ApiError } from '../lib/api';
import { exchangeApiName, exchangeLabel } from '../lib/exchange-name';
import { detailsRate, rate } from '../lib/format';
import { useLive, type Live } from '../lib/live';
import { href, navigate, route } from '../lib/router';
import { Bindings } from '../components/bindings';
import { Chart, chartFromDetails, RangeSelect, rangeOf, rangeQuery } from '../components/chart';
import { PublishForm } from '../components/publish-form';
import { ActionButton, ErrorBox, KeyValues, Notice, PageTitle, Section, Value } from '../components/ui';
import type { ExchangeRow } from './exchange-list';
import { Features } from './exchange-parts';

const RATE_KEYS = [
  ['publish_in', 'Publish in'],
  ['publish_out', 'Publish out'],
] as const;

export function ExchangeDetail(props: { vhost: string; name: string }) {
  const { vhost, name } = props;
  const range = rangeOf(route.value.query);
  const path = apiPath(['exchanges', vhost, exchangeApiName(name)], rangeQuery(range));
  const live = useLive(() => api.get<ExchangeRow>(path), path);
  const label = exchangeLabel(name);
  // A deep link to an exchange that is not there (or no longer): say so, once, instead of a page of errors.
  const notFound = live.error instanceof ApiError && live.error.status === 404;

  return (
    <div>
      <PageTitle kind="Exchange" title={label}>
        <span class="muted">
          in virtual host <a href={href(['exchanges'], { vhost })}>{vhost}</a>
        </span>
        <a href={href(['routing'], { vhost, exchange: exchangeApiName(name) })}>Where would it go?</a>
        {!notFound && <a href={href(['tail'], { vhost, exchange: exchangeApiName(name) })}>Live tail</a>}
      </PageTitle>
      {notFound ? (
        <Notice>
          There is no exchange '{label}' in virtual host '{vhost}' (it may have been deleted). <a href={href(['exchanges'], { vhost })}>Exchanges of {vhost}</a>
        </Notice>
      ) : (
        <ExchangeSections vhost={vhost} name={name} live={live} range={range.id} />
      )}
    </div>
  );
}

/**
 * Everything under the title. Bindings, publish and delete wait for the exchange's first answer, so a missing one
 * costs one request, not four; once loaded, the data stays through a failed refresh, and so does what the user typed.
 */
function ExchangeSections(props: { vhost: string; name: string; live: Live<ExchangeRow>; range: string }) {
  const { vhost, name, live, range } = props;
  const x = live.data;
  if (x === undefined) return live.error === undefined ? <p class="muted">Loading…</p> : <ErrorBox error={live.error} />;
  const label = exchangeLabel(name);
  const isDefault = name === '';
  const stats = x.message_stats;
  return (
    <>
      <ErrorBox error={live.error} />
      <Section title="Details">
        <KeyValues
          rows={[
            ['Name', label],
            ['Virtual host', vhost],
            ['Type', x.type],
            ['Features', <Features exchange={x} />],
            ['Arguments', Object.keys(x.arguments).length === 0 ? <span class="muted">none</span> : <Value value={x.arguments} />],
            ['Policy', <Value value={x.policy} />],
            ['Publish in', rate(detailsRate(stats, 'publish_in') ?? 0)],
            ['Publish out', rate(detailsRate(stats, 'publish_out') ?? 0)],
          ]}
        />
      </Section>
      <Section
        title="Message rates"
        actions={<RangeSelect value={range} />}
      >
        <div class="charts">
          <Chart title="Publish rates" unit="/s" data={chartFromDetails(stats, RATE_KEYS, true)} />
        </div>
      </Section>
      {isDefault ? (
        <Notice>
          The default exchange routes each message to the queue its routing key names; every queue is bound to it
          implicitly, and it takes no other bindings.
        </Notice>
      ) : (
        <>
          <Bindings vhost={vhost} source={name} />
          <Bindings vhost={vhost} destination={{ type: 'exchange', name }} />
        </>
      )}
      <Section title="Publish message">
        <PublishForm vhost={vhost} exchange={exchangeApiName(name)} />
      </Section>
      {!isDefault && (
        <Section title="Delete this exchange">
          <ActionButton
            label="Delete exchange"
            danger
            confirm={`Delete exchange '${label}' in virtual host '${vhost}'? Its bindings go with it.`}
            run={() => api.del(apiPath(['exchanges', vhost, name]))}
            onDone={() => navigate(href(['exchanges'], { vhost }))}
          />
        </Section>
      )}
    </>
  );
}
