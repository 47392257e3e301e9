import { explainFailure } from '../cli/aws-errors';
import { parseCommandLine } from '../cli/flags';
import { endpointConfig } from '../local/credentials';
import { LOADGEN, type LoadgenOptions, parseOptions } from './options';
import { kinesisClient } from './kinesis-client';
import { formatSummary, progressReporter } from './report';
import { runLoad } from './run';

export const EXIT_OK = 0;
export const EXIT_LOST = 1;
export const EXIT_USAGE = 2;

function explain(error: unknown, options: LoadgenOptions): string {
  return (
    explainFailure(error, {
      resource: `stream "${options.stream}"`,
      flag: '--stream',
      action: 'kinesis:PutRecords (and kinesis:ListShards with --kpl)',
      region: options.region,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    }) ?? (error as Error).message
  );
}

export async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandLine(LOADGEN, argv, (args) => parseOptions(args));
  if (!('options' in parsed)) return parsed.exitCode;
  const { options } = parsed;

  let stop: () => void = () => undefined;
  const stopSignal = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = (): void => {
    process.stderr.write('\nstopping: sending what is in flight, then the summary (Ctrl-C again to quit now)\n');
    stop();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const reporter = options.json ? undefined : progressReporter(options);
  try {
    const { summary, expected } = await runLoad(options, {
      client: kinesisClient({ ...endpointConfig(options.endpoint, options.region), maxSockets: options.concurrency }),
      stopSignal,
      onProgress: (p) => reporter?.update(p),
      describeError: (error) => explain(error, options),
    });
    reporter?.stop();
    if (expected !== undefined && options.expect !== undefined) expected.write(options.expect);
    process.stdout.write(options.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
    // In JSON the cause is a field; said on stderr too, where a person watching the run looks.
    if (options.json && summary.error !== undefined) process.stderr.write(`loadgen: stopped: ${summary.error}\n`);
    return summary.failed > 0 || summary.error !== undefined ? EXIT_LOST : EXIT_OK;
  } catch (error) {
    reporter?.stop();
    process.stderr.write(`loadgen: ${explain(error, options)}\n`);
    return EXIT_LOST;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`loadgen: ${String(error)}\n`);
      process.exitCode = EXIT_LOST;
    },
  );
}
