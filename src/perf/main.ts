#!/usr/bin/env node
/** The leveret-perf bin: parses flags (exit 2 with one line on bad input), runs, exits 1 when a connection failed. */
import { UsageError, helpText, parseArgs } from './args';
import { runPerf } from './run';

function main(): void {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`leveret-perf: ${err.message}\n`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(`${helpText()}\n`);
    return;
  }
  const run = runPerf(options, (line) => process.stdout.write(`${line}\n`));
  process.once('SIGINT', () => run.stop());
  process.once('SIGTERM', () => run.stop());
  run.done.then(
    (summary) => process.exit(summary.error === undefined ? 0 : 1),
    (err: unknown) => {
      process.stderr.write(`leveret-perf: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}

main();
