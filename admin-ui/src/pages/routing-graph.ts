/*
 * The topology view's model, without DOM: which entities a filter keeps (the matches and everything connected to them
 * upstream and downstream), a layered layout (exchanges in columns by their distance from an exchange nothing routes
 * into, queues in the last column, each column ordered to follow its sources so edges cross less), and what a
 * selected entity highlights (everything on a path through it).
 */

export interface TopoExchange {
  name: string;
  type: string;
  internal: boolean;
  alternate_exchange: string | null;
  bindings_out: number;
}
export interface TopoQueue {
  name: string;
  messages: number;
  consumers: number;
}
export interface TopoBinding {
  source: string;
  destination: string;
  destination_type: 'queue' | 'exchange';
  routing_key: string;
  arguments: Record<string, unknown>;
}
export interface Topology {
  exchanges: TopoExchange[];
  queues: TopoQueue[];
  bindings: TopoBinding[];
}

export interface GraphNode {
  readonly id: string;
  readonly kind: 'exchange' | 'queue';
  readonly name: string;
  readonly detail: string;
  readonly internal: boolean;
  column: number;
  row: number;
}
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: 'binding' | 'alternate-exchange';
  /** The binding keys (with arguments, when any) of every binding between the two. */
  readonly labels: string[];
}
export interface Graph {
  readonly nodes: Map<string, GraphNode>;
  readonly edges: GraphEdge[];
  readonly columns: number;
  readonly rows: number;
}

export const exchangeId = (name: string): string => `x:${name}`;
export const queueId = (name: string): string => `q:${name}`;

/** A name matcher from the filter text: a case-insensitive substring, or a regex; throws a readable error. */
export function nameMatcher(text: string, regex: boolean): ((name: string) => boolean) | undefined {
  if (text === '') return undefined;
  if (regex) {
    let re: RegExp;
    try {
      re = new RegExp(text, 'i');
    } catch (err) {
      throw new Error(`not a valid regular expression: ${(err as Error).message}`);
    }
    return (name) => re.test(name);
  }
  const needle = text.toLowerCase();
  return (name) => name.toLowerCase().includes(needle);
}

function bindingLabel(b: TopoBinding): string {
  const args = Object.keys(b.arguments).length === 0 ? '' : ` ${JSON.stringify(b.arguments)}`;
  return `${b.routing_key === '' ? '(empty key)' : b.routing_key}${args}`;
}

/** All nodes and edges of a topology (before filtering). */
function fullGraph(t: Topology): { nodes: Map<string, GraphNode>; edges: GraphEdge[] } {
  const nodes = new Map<string, GraphNode>();
  for (const x of t.exchanges) {
    nodes.set(exchangeId(x.name), { id: exchangeId(x.name), kind: 'exchange', name: x.name, detail: x.type, internal: x.internal, column: 0, row: 0 });
  }
  for (const q of t.queues) {
    nodes.set(queueId(q.name), { id: queueId(q.name), kind: 'queue', name: q.name, detail: `${q.messages} msg, ${q.consumers} cons`, internal: false, column: 0, row: 0 });
  }
  const byPair = new Map<string, GraphEdge>();
  for (const b of t.bindings) {
    const from = exchangeId(b.source);
    const to = b.destination_type === 'queue' ? queueId(b.destination) : exchangeId(b.destination);
    if (!nodes.has(from) || !nodes.has(to)) continue;
    const key = `${from}\u0000${to}`;
    const edge = byPair.get(key);
    if (edge === undefined) byPair.set(key, { from, to, kind: 'binding', labels: [bindingLabel(b)] });
    else edge.labels.push(bindingLabel(b));
  }
  const edges = [...byPair.values()];
  for (const x of t.exchanges) {
    const ae = x.alternate_exchange;
    if (ae !== null && nodes.has(exchangeId(ae))) edges.push({ from: exchangeId(x.name), to: exchangeId(ae), kind: 'alternate-exchange', labels: ['alternate exchange'] });
  }
  return { nodes, edges };
}

/** Ids reachable from `start` along edges (downstream) or against them (upstream), `start` included. */
export function reach(edges: readonly GraphEdge[], start: Iterable<string>, direction: 'down' | 'up'): Set<string> {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    const [a, b] = direction === 'down' ? [e.from, e.to] : [e.to, e.from];
    let list = next.get(a);
    if (list === undefined) next.set(a, (list = []));
    list.push(b);
  }
  const seen = new Set<string>(start);
  const work = [...seen];
  while (work.length > 0) {
    const id = work.pop() as string;
    for (const n of next.get(id) ?? []) {
      if (!seen.has(n)) {
        seen.add(n);
        work.push(n);
      }
    }
  }
  return seen;
}

/** The graph a filter keeps, laid out in layers. */
export function layoutGraph(t: Topology, match: ((name: string) => boolean) | undefined): Graph {
  const full = fullGraph(t);
  let keep: Set<string>;
  if (match === undefined) keep = new Set(full.nodes.keys());
  else {
    const hits = [...full.nodes.values()].filter((n) => match(n.name)).map((n) => n.id);
    const down = reach(full.edges, hits, 'down');
    keep = reach(full.edges, hits, 'up');
    for (const id of down) keep.add(id);
  }
  const nodes = new Map([...full.nodes].filter(([id]) => keep.has(id)));
  const edges = full.edges.filter((e) => keep.has(e.from) && keep.has(e.to));

  // Exchange columns: breadth-first distance from the exchanges no kept exchange routes into (pure cycles start at 0).
  const exchanges = [...nodes.values()].filter((n) => n.kind === 'exchange');
  const e2e = edges.filter((e) => e.to.startsWith('x:'));
  const incoming = new Set(e2e.map((e) => e.to));
  const depth = new Map<string, number>();
  const bfs = (roots: string[]): void => {
    for (const r of roots) depth.set(r, 0);
    const queue = [...roots];
    while (queue.length > 0) {
      const id = queue.shift() as string;
      const d = depth.get(id) as number;
      for (const e of e2e) {
        if (e.from === id && !depth.has(e.to)) {
          depth.set(e.to, d + 1);
          queue.push(e.to);
        }
      }
    }
  };
  bfs(exchanges.filter((x) => !incoming.has(x.id)).map((x) => x.id));
  for (const x of exchanges) if (!depth.has(x.id)) bfs([x.id]);
  let maxDepth = 0;
  for (const x of exchanges) {
    x.column = depth.get(x.id) ?? 0;
    maxDepth = Math.max(maxDepth, x.column);
  }
  const queueColumn = exchanges.length === 0 ? 0 : maxDepth + 1;
  for (const n of nodes.values()) if (n.kind === 'queue') n.column = queueColumn;

  // Rows: the first column by name, each later one by the mean row of its sources (then by name).
  const sourcesOf = new Map<string, string[]>();
  for (const e of edges) {
    let list = sourcesOf.get(e.to);
    if (list === undefined) sourcesOf.set(e.to, (list = []));
    list.push(e.from);
  }
  let rows = 0;
  for (let c = 0; c <= queueColumn; c++) {
    const column = [...nodes.values()].filter((n) => n.column === c);
    const weight = (n: GraphNode): number => {
      const rowsOfSources = (sourcesOf.get(n.id) ?? []).map((s) => nodes.get(s)).filter((s) => s !== undefined && s.column < c).map((s) => (s as GraphNode).row);
      return rowsOfSources.length === 0 ? Number.POSITIVE_INFINITY : rowsOfSources.reduce((a, b) => a + b, 0) / rowsOfSources.length;
    };
    const weights = new Map(column.map((n) => [n.id, weight(n)]));
    column.sort((a, b) => (weights.get(a.id) as number) - (weights.get(b.id) as number) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    column.forEach((n, i) => (n.row = i));
    rows = Math.max(rows, column.length);
  }
  return { nodes, edges, columns: queueColumn + 1, rows };
}

/** What selecting `id` highlights: every node and edge on a path through it. */
export function highlightOf(graph: Graph, id: string): { nodes: Set<string>; edges: Set<GraphEdge> } {
  const up = reach(graph.edges, [id], 'up');
  const down = reach(graph.edges, [id], 'down');
  const edges = new Set(graph.edges.filter((e) => (up.has(e.from) && up.has(e.to)) || (down.has(e.from) && down.has(e.to))));
  const nodes = new Set([...up, ...down]);
  return { nodes, edges };
}
