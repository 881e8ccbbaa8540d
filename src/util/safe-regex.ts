import { Script, createContext, type Context } from 'node:vm';
import { RE2JS } from 're2js';

/*
 * Regular expressions written by users (name filters, policy patterns, permission patterns) matched without letting
 * one of them hold the event loop. V8's RegExp backtracks: /^(a+)+$/ on 30 a's and a '!' takes seconds.
 *
 * - A pattern is valid when JavaScript's RegExp accepts it: constructing one is the check, so a refusal throws the
 *   same SyntaxError as `new RegExp(source)` always did.
 * - Every pattern RE2 also accepts runs on RE2 (the re2js port): time linear in the input, whatever the pattern.
 *   Where both accept a pattern but read it differently (\A, \z, \Q...\E, \x{41}, \p{L}, [[:alpha:]]), RE2's
 *   reading applies, which is PCRE's, the engine RabbitMQ users write for.
 * - The rest (lookahead and lookbehind, backreferences, a few JavaScript-only escapes) runs on V8 inside a vm
 *   context with a timeout. A match that times out counts as no match, and from then on that compiled expression
 *   matches nothing without running: one expression costs at most one timeout over its life (compile it again, by
 *   setting the policy or permission again, to retry). The timeout is reported once, through onTimeout.
 */

export interface SafeRegExp {
  readonly source: string;
  /**
   * What runs it: 'everything' (a pattern such as '.*' that matches every string), 'literal' (string comparisons for
   * '^amq\\.gen-.*' and the like), 'linear' (RE2) or 'bounded' (V8 under a timeout).
   */
  readonly engine: 'everything' | 'literal' | 'linear' | 'bounded';
  /** Whether the expression matches somewhere in `input`, as RegExp.prototype.test (no g or y flag). */
  test(input: string): boolean;
  /** test() of each input; a bounded expression runs them all in one call, under one timeout. */
  testAll(inputs: readonly string[]): boolean[];
}

/** What onTimeout hears: the expression that gave up, and on what. */
export interface RegExpTimeout {
  readonly source: string;
  readonly timeoutMs: number;
  /** How many strings the timed-out call was matching, and the length of the longest. */
  readonly inputs: number;
  readonly longestInput: number;
}

export interface SafeRegExpOptions {
  readonly ignoreCase?: boolean;
  /** Longest a bounded expression may run in one call (one test, or one testAll); default DEFAULT_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  /** Told once per compiled expression when it times out; default: a process warning. */
  readonly onTimeout?: (event: RegExpTimeout) => void;
}

/** A legitimate lookahead runs in microseconds on a name of 255 characters; 50 ms is a pathological pattern. */
export const DEFAULT_TIMEOUT_MS = 50;

/** Patterns that match every string, answered without running anything ('' and '.*' are common permissions). */
const MATCHES_EVERYTHING = new Set(['', '.*', '^.*', '(?:)']);

/**
 * test() remembers its last results: the names a permission, policy or topic expression is checked against repeat
 * (declares, binds, routing keys), and a lookup costs less than RE2 (3 to 20 times slower than V8 on short names)
 * or a vm call (about 60 us). At most MEMO_ENTRIES strings of up to MEMO_KEY_LENGTH characters: about 40 KB.
 */
const MEMO_ENTRIES = 256;
const MEMO_KEY_LENGTH = 64;

class Memo {
  private readonly results = new Map<string, boolean>();

  get(input: string): boolean | undefined {
    return this.results.get(input);
  }

  set(input: string, result: boolean): void {
    if (input.length > MEMO_KEY_LENGTH) return;
    if (this.results.size >= MEMO_ENTRIES) this.results.clear();
    this.results.set(input, result);
  }

  clear(): void {
    this.results.clear();
  }
}

/** Compiles `source`; throws the SyntaxError `new RegExp(source, flags)` throws when it is not a valid expression. */
export function compileSafeRegExp(source: string, options: SafeRegExpOptions = {}): SafeRegExp {
  const ignoreCase = options.ignoreCase === true;
  const native = new RegExp(source, ignoreCase ? 'i' : '');
  if (MATCHES_EVERYTHING.has(source)) return new Everything(source);
  if (!ignoreCase) {
    const literal = literalPattern(source);
    if (literal !== undefined) return literal;
  }
  let re2: RE2JS | undefined;
  try {
    re2 = RE2JS.compile(source, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
  } catch {
    // RE2 has no such syntax (lookaround, backreferences, \cX, \u0041...) or finds the program too large.
  }
  if (re2 !== undefined) return new Linear(source, re2);
  return new Bounded(source, native, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.onTimeout ?? warn);
}

class Everything implements SafeRegExp {
  readonly engine = 'everything';
  constructor(readonly source: string) {}
  test(_input: string): boolean {
    return true;
  }
  testAll(inputs: readonly string[]): boolean[] {
    return inputs.map(() => true);
  }
}

/** Characters with a meaning in a pattern; escaped ('\\.') they stand for themselves. */
const SPECIAL = new Set([...'\\^$.|?*+()[]{}']);

/**
 * The most common permission and policy patterns need no engine: '^prefix', '^prefix.*', 'text', '^exact$', 'suffix$'
 * (literal characters and escaped punctuation) are startsWith, includes, === and endsWith, which cost less than any
 * regular expression engine on the declare path. Anything else (a class, a quantifier, '.*$'...) is undefined.
 */
function literalPattern(source: string): SafeRegExp | undefined {
  let at = 0;
  const start = source.startsWith('^');
  if (start) at = 1;
  let end = source.length;
  let anyTail = false;
  let endAnchor = false;
  if (source.endsWith('.*') && !source.endsWith('\\.*')) {
    anyTail = true;
    end -= 2;
  } else if (source.endsWith('$') && !source.endsWith('\\$')) {
    endAnchor = true;
    end -= 1;
  }
  let text = '';
  while (at < end) {
    const c = source[at] as string;
    if (c === '\\') {
      const next = source[at + 1];
      // Only escaped punctuation: \d, \w, \b, \1, \x41... have meanings of their own.
      if (next === undefined || at + 1 >= end || /[A-Za-z0-9]/.test(next) || next.charCodeAt(0) > 0x7e) return undefined;
      text += next;
      at += 2;
      continue;
    }
    if (SPECIAL.has(c)) return undefined;
    text += c;
    at += 1;
  }
  if (anyTail || !endAnchor) return new Literal(source, start ? 'prefix' : 'contains', text);
  return new Literal(source, start ? 'exact' : 'suffix', text);
}

class Literal implements SafeRegExp {
  readonly engine = 'literal';
  constructor(
    readonly source: string,
    private readonly kind: 'prefix' | 'contains' | 'exact' | 'suffix',
    private readonly text: string,
  ) {}
  test(input: string): boolean {
    switch (this.kind) {
      case 'prefix':
        return input.startsWith(this.text);
      case 'contains':
        return input.includes(this.text);
      case 'exact':
        return input === this.text;
      case 'suffix':
        return input.endsWith(this.text);
    }
  }
  testAll(inputs: readonly string[]): boolean[] {
    return inputs.map((input) => this.test(input));
  }
}

class Linear implements SafeRegExp {
  readonly engine = 'linear';
  private readonly memo = new Memo();
  constructor(
    readonly source: string,
    private readonly re2: RE2JS,
  ) {}
  test(input: string): boolean {
    const known = this.memo.get(input);
    if (known !== undefined) return known;
    const result = this.re2.test(input);
    this.memo.set(input, result);
    return result;
  }
  testAll(inputs: readonly string[]): boolean[] {
    return inputs.map((input) => this.re2.test(input));
  }
}

// One context and two scripts for every bounded expression: the globals are set before each run and cleared after.
let sandbox: Context | undefined;
const TEST_ONE = new Script('R.test(S)', { filename: 'safe-regex-test' });
const TEST_ALL = new Script('for (let i = 0; i < L.length; i++) O[i] = R.test(L[i]);', { filename: 'safe-regex-test-all' });

class Bounded implements SafeRegExp {
  readonly engine = 'bounded';
  private readonly memo = new Memo();
  private timedOut = false;

  constructor(
    readonly source: string,
    private readonly native: RegExp,
    private readonly timeoutMs: number,
    private readonly onTimeout: (event: RegExpTimeout) => void,
  ) {}

  test(input: string): boolean {
    if (this.timedOut) return false;
    const known = this.memo.get(input);
    if (known !== undefined) return known;
    const result = this.run(TEST_ONE, { R: this.native, S: input }, [input]) === true;
    if (this.timedOut) return false;
    this.memo.set(input, result);
    return result;
  }

  testAll(inputs: readonly string[]): boolean[] {
    const out = new Array<boolean>(inputs.length).fill(false);
    if (this.timedOut || inputs.length === 0) return out;
    this.run(TEST_ALL, { R: this.native, L: inputs, O: out }, inputs);
    return this.timedOut ? out.fill(false) : out;
  }

  private run(script: Script, globals: Record<string, unknown>, inputs: readonly string[]): unknown {
    const context = (sandbox ??= createContext(Object.create(null) as object));
    Object.assign(context, globals);
    try {
      return script.runInContext(context, { timeout: this.timeoutMs });
    } catch {
      // ERR_SCRIPT_EXECUTION_TIMEOUT, or V8 giving up on the expression (stack or size): no match, and no more runs.
      this.timedOut = true;
      this.memo.clear();
      let longestInput = 0;
      for (const input of inputs) longestInput = Math.max(longestInput, input.length);
      this.onTimeout({ source: this.source, timeoutMs: this.timeoutMs, inputs: inputs.length, longestInput });
      return undefined;
    } finally {
      for (const key of Object.keys(globals)) delete (context as Record<string, unknown>)[key];
    }
  }
}

function warn(event: RegExpTimeout): void {
  process.emitWarning(
    `regular expression ${JSON.stringify(event.source)} ran over ${event.timeoutMs} ms on ${event.inputs} string(s) of up to ` +
      `${event.longestInput} characters; it now matches nothing until it is set again`,
    { code: 'LEVERET_REGEXP_TIMEOUT' },
  );
}
