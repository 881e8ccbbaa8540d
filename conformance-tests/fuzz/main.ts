/**
 * `npm run fuzz`: black-box fuzzing of Leveret's AMQP port (see options.ts for the flags, run.ts for the run).
 *
 * Exit status: 0 when the broker survived and the good client lost nothing, 1 otherwise, 2 for bad usage,
 * 130 when interrupted. Ctrl-C stops the attackers, kills the child broker (by pid) and prints what was found.
 */
import { formatReport } from './report';
import { parseArgs, USAGE, UsageError, type FuzzOptions } from './options';
import { replayCrashFile, replayIndices } from './replay';
import { runFuzz } from './run';

async function main(): Promise<number> {
  let o: FuzzOptions | 'help';
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`fuzz: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (o === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const abort = { aborted: false };
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts++;
    abort.aborted = true;
    if (interrupts === 1) process.stderr.write('\ninterrupted: stopping attackers and the broker...\n');
    // A second Ctrl-C exits at once; the exit handler still kills the child broker by pid.
    else process.exit(130);
  });
  // Terminated or hung up: exit through process.exit, so that the exit handler kills the child broker by pid.
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, () => process.exit(128 + (signal === 'SIGTERM' ? 15 : 1)));
  if (o.replay !== undefined) return (await replayCrashFile(o, o.replay)) ? 1 : 0;
  if (o.only !== undefined) return (await replayIndices(o, o.only)) ? 1 : 0;
  const report = await runFuzz(o, (line) => process.stdout.write(`${line}\n`), abort);
  process.stdout.write(`${formatReport(report)}\n`);
  if (abort.aborted) return 130;
  return report.failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`fuzz: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
