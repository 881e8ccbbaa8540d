import type { FieldTable } from '../protocol/field-table';
import type { BindingSpec, ExchangeType, Matcher } from './exchange-type';

/**
 * Topic exchange: binding keys are dot-separated words where `*` matches exactly one word and `#` matches
 * zero or more words; other words match literally (`a*` is a literal word).
 *
 * Words follow RabbitMQ (rabbit_db_topic_exchange:split_topic_key/1): the empty key "" has zero words, and
 * otherwise the key is split on every dot, so "a..b" is ["a", "", "b"], "a." is ["a", ""] and "." is
 * ["", ""]. Hence "" matches the binding keys "" and "#" (and "#.#"), but not "*", "*.#" or "#.*".
 *
 * Representation: a trie whose edges are words, with the `*` and `#` edges kept apart from the literal ones;
 * each node holds the destinations whose binding key ends there (with a count, since one destination may be
 * bound to the same key several times with different arguments).
 *
 * Complexity of route, for a routing key of W words over a trie of N nodes: a state is (node, word position);
 * each state is expanded at most once and an expansion costs at most three Map lookups (the literal word,
 * `*`, `#`), plus adding the node's destinations when the position is the end of the key. So route is
 * O(min(N, paths) * (W + 1)) lookups plus the output size:
 *  - without `#`, only nodes at depth i are visited at position i, so it is O(W * s) where s is the number of
 *    `*`/literal alternatives that actually exist along the key (O(W) for literal-only bindings);
 *  - a `#` node is tried at every remaining position (a loop, not recursion), which costs O(W) per `#` node;
 *  - with two or more `#` on one path, the same (node, position) can be reached along many paths (the naive
 *    search is exponential in the number of `#`s, e.g. "#.#.#.#"); nodes below two or more `#` edges record
 *    the positions visited during the current route (an epoch stamp per position, no per-route allocation),
 *    which bounds the work by O(N * (W + 1)).
 * Splitting the key allocates one array of W strings. Fast path: when the only binding key in the trie is a
 * lone "#", route adds its destinations without splitting (fanout-like).
 */

const NO_WORDS: readonly string[] = [];

function splitTopicKey(key: string): readonly string[] {
  return key === '' ? NO_WORDS : key.split('.');
}

class TopicNode<D> {
  /** Children through literal words. */
  readonly children = new Map<string, TopicNode<D>>();
  star: TopicNode<D> | undefined = undefined;
  hash: TopicNode<D> | undefined = undefined;
  /** Destinations whose binding key ends here -> number of such bindings. */
  readonly bindings = new Map<D, number>();
  /** Last route epoch in which this node was expanded at each word position (only used when memoized). */
  readonly marks: number[] = [];

  constructor(
    /** Reached through a `#` edge: may absorb further words. */
    readonly isHash: boolean,
    /** Two or more `#` edges on the path from the root: may be reached repeatedly at one position. */
    readonly memoized: boolean,
    readonly hashesOnPath: number,
  ) {}

  get isEmpty(): boolean {
    return this.bindings.size === 0 && this.children.size === 0 && this.star === undefined && this.hash === undefined;
  }

  child(word: string): TopicNode<D> | undefined {
    if (word === '#') return this.hash;
    if (word === '*') return this.star;
    return this.children.get(word);
  }

  childOrCreate(word: string): TopicNode<D> {
    const existing = this.child(word);
    if (existing !== undefined) return existing;
    const isHash = word === '#';
    const hashes = this.hashesOnPath + (isHash ? 1 : 0);
    const node = new TopicNode<D>(isHash, hashes >= 2, hashes);
    if (isHash) this.hash = node;
    else if (word === '*') this.star = node;
    else this.children.set(word, node);
    return node;
  }

  removeChild(word: string): void {
    if (word === '#') this.hash = undefined;
    else if (word === '*') this.star = undefined;
    else this.children.delete(word);
  }
}

/** Routing keys whose result a topic exchange remembers; the memo is dropped when full or when bindings change. */
const ROUTE_MEMO_SIZE = 4096;

class TopicMatcher<D> implements Matcher<D> {
  private readonly root = new TopicNode<D>(false, false, 0);
  /**
   * routing key -> destinations, for keys routed since the bindings last changed. Publishers reuse a limited set of
   * keys, so most messages skip splitting the key and walking the trie.
   */
  private memo = new Map<string, readonly D[]>();
  private readonly scratch = new Set<D>();
  /** destination -> binding keys it currently has at least one binding with, for removeDestination. */
  private readonly keysByDestination = new Map<D, Set<string>>();
  private epoch = 0;

  add(binding: BindingSpec<D>): void {
    this.forget();
    const { destination, routingKey } = binding;
    let node = this.root;
    for (const word of splitTopicKey(routingKey)) node = node.childOrCreate(word);
    node.bindings.set(destination, (node.bindings.get(destination) ?? 0) + 1);
    let keys = this.keysByDestination.get(destination);
    if (keys === undefined) {
      keys = new Set();
      this.keysByDestination.set(destination, keys);
    }
    keys.add(routingKey);
  }

  remove(binding: BindingSpec<D>): void {
    this.forget();
    this.removeKey(binding.destination, binding.routingKey, false);
  }

  removeDestination(destination: D): void {
    this.forget();
    const keys = this.keysByDestination.get(destination);
    if (keys === undefined) return;
    for (const key of [...keys]) this.removeKey(destination, key, true);
  }

  route(routingKey: string, _headers: FieldTable | undefined, out: Set<D>): void {
    const known = this.memo.get(routingKey);
    if (known !== undefined) {
      for (let i = 0; i < known.length; i++) out.add(known[i] as D);
      return;
    }
    const found = this.scratch;
    found.clear();
    this.match(routingKey, found);
    if (this.memo.size >= ROUTE_MEMO_SIZE) this.memo = new Map();
    this.memo.set(routingKey, [...found]);
    for (const destination of found) out.add(destination);
  }

  private forget(): void {
    if (this.memo.size > 0) this.memo = new Map();
  }

  /** Walks the trie for `routingKey`. */
  private match(routingKey: string, out: Set<D>): void {
    const root = this.root;
    const hash = root.hash;
    if (hash !== undefined && root.children.size === 0 && root.star === undefined && hash.children.size === 0 &&
        hash.star === undefined && hash.hash === undefined) {
      // Only "#" (and perhaps "") is bound: every routing key matches "#".
      addAll(hash.bindings, out);
      if (routingKey === '') addAll(root.bindings, out);
      return;
    }
    if (root.isEmpty) return;
    this.epoch++;
    this.visit(root, splitTopicKey(routingKey), 0, out);
  }

  /** Matches `words[position..]` against the subtrie at `node`. */
  private visit(node: TopicNode<D>, words: readonly string[], position: number, out: Set<D>): void {
    if (!node.isHash) {
      this.expand(node, words, position, out);
      return;
    }
    // A `#` node is entered having matched zero words; it may go on to absorb any number of the rest.
    for (let i = position; i <= words.length; i++) {
      // Expanding at i already covered every later position of this node.
      if (node.memoized && node.marks[i] === this.epoch) return;
      this.expand(node, words, i, out);
    }
  }

  private expand(node: TopicNode<D>, words: readonly string[], position: number, out: Set<D>): void {
    if (node.memoized) {
      if (node.marks[position] === this.epoch) return;
      node.marks[position] = this.epoch;
    }
    const word = words[position];
    if (word === undefined) {
      addAll(node.bindings, out);
    } else {
      const literal = node.children.get(word);
      if (literal !== undefined) this.visit(literal, words, position + 1, out);
      if (node.star !== undefined) this.visit(node.star, words, position + 1, out);
    }
    if (node.hash !== undefined) this.visit(node.hash, words, position, out);
  }

  /** Removes one binding (or, when `all`, every binding) of `destination` with `key`; prunes empty nodes. */
  private removeKey(destination: D, key: string, all: boolean): void {
    const words = splitTopicKey(key);
    const path: TopicNode<D>[] = [this.root];
    let node = this.root;
    for (const word of words) {
      const next = node.child(word);
      if (next === undefined) return;
      path.push(next);
      node = next;
    }
    const count = node.bindings.get(destination);
    if (count === undefined) return;
    if (count > 1 && !all) {
      node.bindings.set(destination, count - 1);
      return;
    }
    node.bindings.delete(destination);
    const keys = this.keysByDestination.get(destination);
    if (keys !== undefined) {
      keys.delete(key);
      if (keys.size === 0) this.keysByDestination.delete(destination);
    }
    for (let i = words.length; i > 0; i--) {
      const current = path[i];
      const parent = path[i - 1];
      const word = words[i - 1];
      if (current === undefined || parent === undefined || word === undefined || !current.isEmpty) break;
      parent.removeChild(word);
    }
  }
}

function addAll<D>(bindings: Map<D, number>, out: Set<D>): void {
  if (bindings.size === 0) return;
  for (const destination of bindings.keys()) out.add(destination);
}

export const topicExchangeType: ExchangeType = {
  name: 'topic',
  delayed: false,
  createMatcher<D>(): Matcher<D> {
    return new TopicMatcher<D>();
  },
};
