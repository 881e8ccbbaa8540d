/*
 * The topology of a vhost as SVG, drawn with plain elements (no library, no style attributes: positions are SVG
 * attributes, looks are CSS classes): exchanges on the left in layers, exchange-to-exchange bindings between them,
 * queues on the right. A filter (substring or regex, kept in the URL) keeps only the entities connected to a match;
 * clicking an entity highlights every path through it and offers a link to it.
 */
import { useMemo, useState } from 'preact/hooks';
import { api, apiPath } from '../lib/api';
import { exchangeHref, exchangeLabel, queueHref } from '../lib/exchange-name';
import { useLive } from '../lib/live';
import { setQuery } from '../lib/router';
import { Checkbox, ErrorBox, inputValue, Notice } from '../components/ui';
import { highlightOf, layoutGraph, nameMatcher, type Graph, type GraphEdge, type GraphNode, type Topology } from './routing-graph';

const COLUMN = 300;
const NODE_W = 230;
const NODE_H = 22;
const ROW = 28;
const PAD = 8;
/** More than this many entities after filtering: ask for a filter rather than draw an unreadable wall. */
export const MAX_DRAWN = 2000;

function clip(text: string, max = 32): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function nodeX(n: GraphNode): number {
  return PAD + n.column * COLUMN;
}
function nodeY(n: GraphNode): number {
  return PAD + n.row * ROW;
}

function edgePath(from: GraphNode, to: GraphNode): string {
  const x1 = nodeX(from) + NODE_W;
  const y1 = nodeY(from) + NODE_H / 2;
  const x2 = nodeX(to);
  const y2 = nodeY(to) + NODE_H / 2;
  if (x2 <= x1) {
    // Back into an earlier (or the same) column: a cycle. Loop around below.
    const drop = Math.max(y1, y2) + ROW;
    return `M ${x1} ${y1} C ${x1 + 40} ${y1}, ${x1 + 40} ${drop}, ${(x1 + x2) / 2} ${drop} S ${x2 - 40} ${y2}, ${x2} ${y2}`;
  }
  const mid = (x1 + x2) / 2;
  return `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`;
}

export function TopologyView(props: { vhost: string; filter: string; regex: boolean }) {
  const { vhost, filter, regex } = props;
  const path = apiPath(['leveret', 'topology', vhost]);
  const live = useLive(() => api.get<Topology>(path), path);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [text, setText] = useState(filter);

  let matchError: unknown;
  let match: ((name: string) => boolean) | undefined;
  try {
    match = nameMatcher(filter, regex);
  } catch (err) {
    matchError = err;
  }
  const data = live.data;
  const graph = useMemo(() => (data === undefined ? undefined : layoutGraph(data, match)), [data, filter, regex, matchError === undefined]);

  return (
    <div class="topo">
      <div class="filter topo-filter">
        <label class="inline">
          Filter{' '}
          <input
            value={text}
            placeholder="name or regex"
            onInput={(e) => {
              setText(inputValue(e));
              setQuery({ filter: inputValue(e) }, { replace: true });
            }}
          />
        </label>
        <Checkbox label="Regex" checked={regex} onChange={(on) => setQuery({ regex: on ? 'true' : undefined }, { replace: true })} />
        {data !== undefined && graph !== undefined && (
          <span class="count" role="status">
            {graph.nodes.size} of {data.exchanges.length + data.queues.length} entities shown ({data.exchanges.length} exchanges,{' '}
            {data.queues.length} queues, {data.bindings.length} bindings)
          </span>
        )}
      </div>
      <ErrorBox error={matchError ?? live.error} />
      {graph === undefined ? (
        live.error === undefined && <p class="muted">Loading…</p>
      ) : graph.nodes.size === 0 ? (
        <Notice>Nothing to show{filter === '' ? ' in this virtual host (the default exchange is left out).' : ' for this filter.'}</Notice>
      ) : graph.nodes.size > MAX_DRAWN ? (
        <Notice>
          {graph.nodes.size} entities are too many to draw readably: narrow them down with the filter.
        </Notice>
      ) : (
        <GraphSvg vhost={vhost} graph={graph} selected={selected !== undefined && graph.nodes.has(selected) ? selected : undefined} select={setSelected} />
      )}
    </div>
  );
}

function GraphSvg(props: { vhost: string; graph: Graph; selected: string | undefined; select: (id: string | undefined) => void }) {
  const { vhost, graph, selected, select } = props;
  const lit = useMemo(() => (selected === undefined ? undefined : highlightOf(graph, selected)), [graph, selected]);
  const width = PAD * 2 + (graph.columns - 1) * COLUMN + NODE_W;
  const height = PAD * 2 + graph.rows * ROW + ROW;
  const chosen = selected === undefined ? undefined : graph.nodes.get(selected);
  const edgeClass = (e: GraphEdge): string =>
    `topo-edge${e.kind === 'alternate-exchange' ? ' topo-ae' : ''}${lit === undefined ? '' : lit.edges.has(e) ? ' topo-lit' : ' topo-dim'}`;
  return (
    <>
      <p class="topo-selected">
        {chosen === undefined ? (
          <span class="muted">Click an exchange or a queue to highlight every path through it.</span>
        ) : (
          <>
            Paths through {chosen.kind}{' '}
            <a href={chosen.kind === 'exchange' ? exchangeHref(vhost, chosen.name) : queueHref(vhost, chosen.name)}>{exchangeLabel(chosen.name)}</a>{' '}
            <button type="button" onClick={() => select(undefined)}>
              Clear
            </button>
          </>
        )}
      </p>
      <div class="topo-scroll">
        <svg class="topo-svg" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="group" aria-label={`Topology of ${vhost}`}>
          <g class="topo-edges">
            {graph.edges.map((e) => {
              const from = graph.nodes.get(e.from) as GraphNode;
              const to = graph.nodes.get(e.to) as GraphNode;
              return (
                <path key={`${e.from}\u0000${e.to}\u0000${e.kind}`} class={edgeClass(e)} d={edgePath(from, to)}>
                  <title>{`${from.name} → ${to.name}: ${e.labels.join(', ')}`}</title>
                </path>
              );
            })}
          </g>
          {[...graph.nodes.values()].map((n) => {
            const state = lit === undefined ? '' : n.id === selected ? ' topo-chosen' : lit.nodes.has(n.id) ? ' topo-lit' : ' topo-dim';
            const label = `${n.kind} ${n.name}`;
            const toggle = (): void => select(n.id === selected ? undefined : n.id);
            return (
              <g
                key={n.id}
                class={`topo-node topo-${n.kind}${n.internal ? ' topo-internal' : ''}${state}`}
                transform={`translate(${nodeX(n)},${nodeY(n)})`}
                role="button"
                tabIndex={0}
                aria-pressed={n.id === selected}
                data-name={n.name}
                onClick={toggle}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    toggle();
                  }
                }}
              >
                {/* The title names the button (no aria-label: the drawn text is clipped, and a label must contain it). */}
                <title>{label}</title>
                <desc>{`${n.detail}${n.internal ? ', internal' : ''}`}</desc>
                <rect width={NODE_W} height={NODE_H} rx={4} />
                <text x={8} y={15}>
                  {clip(n.name, n.kind === 'exchange' ? 22 : 32)}
                </text>
                <text class="topo-detail" x={NODE_W - 6} y={15} text-anchor="end">
                  {n.kind === 'exchange' ? n.detail : ''}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
    </>
  );
}
