import { type LoadgenOptions, USAGE, UsageError, parseOptions } from './options';
import { kinesisClient } from './kinesis-client';
import { formatSummary, progressReporter } from './report';
import { runLoad } from './run';

export const EXIT_OK = 0;
export const EXIT_LOST = 1;
export const EXIT_USAGE = 2;

function explain(error: unknown, options: LoadgenOptions): string {
  const name = (error as { name?: string }).name;
  const where = options.endpoint ?? `region ${options.region}`;
  if (name === 'ResourceNotFoundException') return `--stream: stream "${options.stream}" was not found at ${where}`;
  if (name === 'CredentialsProviderError') return 'no AWS credentials found: set a profile or keys, as for the AWS CLI';
  return (error as Error).message;
}

export async function main(argv: readonly string[]): Promise<number> {
  let options: LoadgenOptions;
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    return EXIT_USAGE;
  }

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
      client: kinesisClient({ endpoint: options.endpoint, region: options.region, maxSockets: options.concurrency }),
      stopSignal,
      onProgress: (p) => reporter?.update(p),
      describeError: (error) => explain(error, options),
    });
    reporter?.stop();
    if (expected !== undefined && options.expect !== undefined) expected.write(options.expect);
    process.stdout.write(options.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
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
