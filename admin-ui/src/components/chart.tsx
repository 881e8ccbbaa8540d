/*
 * Time-series charts with uPlot (about 20 KB gzipped, canvas, fast with thousands of points), loaded the first time
 * a chart is drawn so that pages without one never download it. Data comes from the API's `*_details.samples`
 * (asked for with `?msg_rates_age=&msg_rates_incr=` / `lengths_age=`): RabbitMQ's shape, newest sample first.
 */
import { useEffect, useRef } from 'preact/hooks';
import type uPlotType from 'uplot';
import { setQuery } from '../lib/router';
import { shownTheme } from '../lib/theme';

type UPlot = typeof uPlotType;
let uplot: Promise<UPlot> | undefined;
function loadUplot(): Promise<UPlot> {
  uplot ??= import('uplot').then((m) => m.default);
  return uplot;
}

export interface Series {
  readonly label: string;
  /** One value per time; null for a gap. */
  readonly values: ReadonlyArray<number | null>;
}

export interface ChartData {
  /** Seconds since the epoch, ascending. */
  readonly times: readonly number[];
  readonly series: readonly Series[];
}

const COLOURS = ['#1f77b4', '#2ca02c', '#d62728', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

/** A RabbitMQ `*_details` object with samples (newest first). */
export interface Details {
  readonly rate?: number;
  readonly samples?: ReadonlyArray<{ readonly sample: number; readonly timestamp: number }>;
}

/**
 * Series from several `*_details` keys of one stats object. `rates`: the samples are running totals and the chart
 * shows per-second rates between neighbours; otherwise (queue lengths) the samples themselves.
 */
export function chartFromDetails(
  stats: Record<string, unknown> | undefined,
  keys: ReadonlyArray<readonly [key: string, label: string]>,
  rates: boolean,
): ChartData {
  const byKey = keys.map(([key]) => ((stats?.[`${key}_details`] as Details | undefined)?.samples ?? []).slice().reverse());
  const longest = byKey.reduce((a, b) => (b.length > a.length ? b : a), [] as Array<{ sample: number; timestamp: number }>);
  const timeline = longest.map((s) => s.timestamp);
  const times = (rates ? timeline.slice(1) : timeline).map((t) => t / 1000);
  const series = keys.map(([, label], i) => {
    const samples = byKey[i] ?? [];
    const at = new Map(samples.map((s) => [s.timestamp, s.sample]));
    const values: Array<number | null> = [];
    for (let j = rates ? 1 : 0; j < timeline.length; j++) {
      const t = timeline[j] as number;
      const v = at.get(t);
      if (!rates) values.push(v ?? null);
      else {
        const before = at.get(timeline[j - 1] as number);
        const dt = (t - (timeline[j - 1] as number)) / 1000;
        values.push(v === undefined || before === undefined || dt <= 0 ? null : Math.max(0, (v - before) / dt));
      }
    }
    return { label, values };
  });
  return { times, series };
}

export function Chart(props: { title: string; data: ChartData; width?: number; height?: number; unit?: string }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlotType | undefined>(undefined);
  const shape = props.data.series.map((s) => s.label).join('\u0000');
  // A canvas knows no CSS: the axes take the page's colours when drawn, and are drawn again when the theme changes.
  const themeName = shownTheme();
  useEffect(() => {
    let cancelled = false;
    void loadUplot().then((UPlot) => {
      if (cancelled || host.current === null) return;
      plot.current?.destroy();
      const style = getComputedStyle(host.current);
      const text = style.color;
      const grid = style.getPropertyValue('--line').trim() || 'rgba(128,128,128,0.3)';
      const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
      plot.current = new UPlot(
        {
          width: props.width ?? 460,
          height: props.height ?? 180,
          series: [{}, ...props.data.series.map((s, i) => ({ label: s.label, stroke: COLOURS[i % COLOURS.length], width: 1.5, spanGaps: false }))],
          axes: [axis, { ...axis, size: 60 }],
          // One sample (a rate needs two) would otherwise stretch the time axis over years.
          scales: { x: { time: true, range: (_u, min, max) => (min === max ? [min - 60, max] : [min, max]) } },
          legend: { live: true },
          cursor: { drag: { x: false, y: false } },
        },
        toAligned(props.data),
        host.current,
      );
    });
    return () => {
      cancelled = true;
      plot.current?.destroy();
      plot.current = undefined;
    };
  }, [shape, props.width, props.height, themeName]);
  useEffect(() => {
    plot.current?.setData(toAligned(props.data));
  }, [props.data]);
  return (
    <figure class="chart">
      <figcaption>
        <h3>{props.title}</h3>
      </figcaption>
      <div ref={host} role="img" aria-label={`${props.title} chart: ${summary(props.data, props.unit)}`} />
    </figure>
  );
}

function toAligned(data: ChartData): uPlotType.AlignedData {
  return [data.times as number[], ...data.series.map((s) => s.values as Array<number | null>)];
}

/** The latest value of each series, for screen readers. */
function summary(data: ChartData, unit = ''): string {
  return data.series
    .map((s) => {
      const last = s.values[s.values.length - 1];
      return `${s.label} ${last === null || last === undefined ? 'no data' : `${Math.round(last * 10) / 10}${unit}`}`;
    })
    .join(', ');
}

/** The chart ranges, as RabbitMQ's UI offers them: age and sample increment in seconds. */
export const RANGES = [
  { id: '60', label: 'last minute', age: 60, incr: 5 },
  { id: '600', label: 'last ten minutes', age: 600, incr: 5 },
  { id: '3600', label: 'last hour', age: 3600, incr: 60 },
  { id: '28800', label: 'last eight hours', age: 28800, incr: 600 },
  { id: '86400', label: 'last day', age: 86400, incr: 1800 },
] as const;

/** The range a route's `range` query names (default: the last minute). */
export function rangeOf(query: Readonly<Record<string, string>>): (typeof RANGES)[number] {
  return RANGES.find((r) => r.id === query.range) ?? RANGES[0];
}

/** The charts' range, kept in the URL's `range` query; a change replaces the history entry (Back leaves the page). */
export function RangeSelect(props: { value: string }) {
  return (
    <label class="inline">
      Chart range{' '}
      <select value={props.value} onChange={(e) => setQuery({ range: (e.currentTarget as HTMLSelectElement).value }, { replace: true })}>
        {RANGES.map((r) => (
          <option key={r.id} value={r.id}>
            {r.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The API query that asks for a range's samples of rates and lengths. */
export function rangeQuery(range: (typeof RANGES)[number]): Record<string, string> {
  const age = String(range.age);
  const incr = String(range.incr);
  return { msg_rates_age: age, msg_rates_incr: incr, lengths_age: age, lengths_incr: incr };
}
