import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SingleBar } from 'cli-progress';
import { ArchiveSource } from '../lambda/backfill/archive-source';
import { BackfillStore } from '../lambda/backfill/backfill-store';
import { BackfillRangeError, type BackfillSettings, planRange } from '../lambda/backfill/core';
import { type BackfillSummary, runBackfill } from '../lambda/backfill/run';
import { planAggregates } from '../lambda/shared/aggregate-plan';
import { PROFILES } from '../lib/config';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/credentials';
import { LOCAL_NAMES } from '../local/pipeline';
import { UsageError } from '../loadgen/options';
import { type BackfillOptions, LOCAL_TTL_DAYS, USAGE, parseBackfillOptions } from './options';
import { type RemoteResult, remoteInput, runRemote } from './remote';
import { resolveBackfillStack } from './stack';

type Output = Pick<NodeJS.WritableStream, 'write'> & { isTTY?: boolean };

/** A bar on a terminal, a line every 5 s otherwise; on stderr, so --json output stays clean. */
function progress(err: Output, total: number, unit: string): { update(done: number): void; stop(): void } {
  if (err.isTTY === true) {
    const bar = new SingleBar({
      stream: err as NodeJS.WriteStream,
      format: `{bar} {percentage}% | {value}/{total} ${unit}`,
      hideCursor: true,
    });
    bar.start(total, 0);
    return { update: (done) => bar.update(done), stop: () => bar.stop() };
  }
  let last = 0;
  return {
    update: (done) => {
      if (Date.now() - last < 5_000 && done < total) return;
      last = Date.now();
      err.write(`${done}/${total} ${unit}\n`);
    },
    stop: () => undefined,
  };
}

function describe(s: BackfillSummary): string {
  const reasons = Object.entries(s.poisonReasons)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([reason, n]) => `\n    ${n} × ${reason}`)
    .join('');
  return [
    `Backfill of "${s.aggregate}" [${s.from}, ${s.to}) slice ${s.slice}${s.dryRun ? ' (dry run: nothing written)' : ''}`,
    `  windows ${s.windows}, archive objects ${s.objects} (${s.bytes.toLocaleString('en-US')} bytes), records ${s.records}`,
    `  events counted ${s.events}, too late ${s.late}, poison records skipped ${s.poison}${reasons}`,
    `  items ${s.dryRun ? 'to write' : 'written'} ${s.written}, stale items ${s.dryRun ? 'to delete' : 'deleted'} ${s.deleted}`,
  ].join('\n');
}

/** Sums the slices' summaries the state machine returns. */
export function combineSlices(
  output: unknown,
): Omit<BackfillSummary, 'slice' | 'from' | 'to' | 'poisonReasons'> | undefined {
  if (!Array.isArray(output) || output.length === 0) return undefined;
  const parts = output as BackfillSummary[];
  const sum = (k: 'windows' | 'objects' | 'bytes' | 'records' | 'events' | 'poison' | 'late' | 'written' | 'deleted') =>
    parts.reduce((n, p) => n + (Number(p[k]) || 0), 0);
  return {
    aggregate: parts[0].aggregate,
    windows: sum('windows'),
    objects: sum('objects'),
    bytes: sum('bytes'),
    records: sum('records'),
    events: sum('events'),
    poison: sum('poison'),
    late: sum('late'),
    written: sum('written'),
    deleted: sum('deleted'),
    dryRun: parts[0].dryRun,
  };
}

async function runHere(options: BackfillOptions, err: Output): Promise<BackfillSummary> {
  const t = options.target;
  let dynamodb: DynamoDBClient;
  let s3: S3Client;
  let tableName: string;
  let bucket: string;
  let settings: BackfillSettings;
  let ttlDays: number;
  let byTypeIndex = false;
  if (t.kind === 'local') {
    const local = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    dynamodb = new DynamoDBClient({ ...local, endpoint: `http://127.0.0.1:${t.endpoints.dynamodbPort}` });
    s3 = new S3Client({
      ...local,
      endpoint: `http://127.0.0.1:${t.endpoints.s3Port}`,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    tableName = LOCAL_NAMES.table;
    bucket = LOCAL_NAMES.archiveBucket;
    ttlDays = LOCAL_TTL_DAYS;
    settings = {
      defaultLatenessSeconds: ttlDays * 86_400,
      bufferSeconds: t.bufferSeconds,
      maxRecordAgeSeconds: PROFILES.dev.aggregator.maxRecordAgeSeconds,
    };
  } else {
    const region = options.region === undefined ? {} : { region: options.region };
    const stack = await resolveBackfillStack(new CloudFormationClient(region), t.stack);
    dynamodb = new DynamoDBClient(region);
    s3 = new S3Client(region);
    tableName = stack.tableName;
    bucket = stack.archiveBucket;
    ttlDays = stack.ttlDays;
    byTypeIndex = stack.byTypeIndex;
    settings = {
      defaultLatenessSeconds: ttlDays * 86_400,
      bufferSeconds: stack.bufferSeconds,
      maxRecordAgeSeconds: stack.maxRecordAgeSeconds,
    };
  }
  const plan = planAggregates(options.declarations, settings.defaultLatenessSeconds);
  const aggregate = plan.aggregates.find((a) => a.name === options.request.aggregate.name)!;
  let bar: ReturnType<typeof progress> | undefined;
  try {
    return await runBackfill(
      { ...options.request, aggregate, settings, nowMs: Date.now() },
      new ArchiveSource(s3, bucket),
      new BackfillStore(dynamodb, tableName, { ttlDays, byTypeIndex, dryRun: options.dryRun }),
      {
        onPlan: (_range, objects) => (bar = progress(err, objects, 'archive objects')),
        onProgress: (p) => bar?.update(p.objectsDone),
      },
    );
  } finally {
    bar?.stop();
  }
}

async function runOnStack(options: BackfillOptions, err: Output): Promise<RemoteResult> {
  const t = options.target;
  if (t.kind !== 'stack' || !t.remote) throw new Error('runOnStack: a --remote target only');
  const region = options.region === undefined ? {} : { region: options.region };
  const stack = await resolveBackfillStack(new CloudFormationClient(region), t.stack);
  const plan = planAggregates(options.declarations, stack.ttlDays * 86_400);
  const aggregate = plan.aggregates.find((a) => a.name === options.request.aggregate.name)!;
  // Refused here, before anything starts, by the same rule each slice applies.
  planRange(aggregate, options.request.fromMs, options.request.toMs, Date.now(), {
    defaultLatenessSeconds: stack.ttlDays * 86_400,
    bufferSeconds: stack.bufferSeconds,
    maxRecordAgeSeconds: stack.maxRecordAgeSeconds,
  });
  const bar = progress(err, t.slices, 'slices');
  try {
    return await runRemote(
      new SFNClient(region),
      stack.stateMachineArn,
      remoteInput(
        {
          aggregate: aggregate.name,
          from: new Date(options.request.fromMs).toISOString(),
          to: new Date(options.request.toMs).toISOString(),
          format: options.request.format,
          dryRun: options.dryRun,
        },
        t.slices,
      ),
      (p) => bar.update(p.succeeded + p.failed),
    );
  } finally {
    bar.stop();
  }
}

export async function main(
  argv: readonly string[],
  out: Output = process.stdout,
  err: Output = process.stderr,
): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  let options: BackfillOptions;
  try {
    options = parseBackfillOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err.write(`${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.profile !== undefined) process.env.AWS_PROFILE = options.profile;
  try {
    if (options.target.kind === 'stack' && options.target.remote) {
      const result = await runOnStack(options, err);
      const total = combineSlices(result.output);
      const ok = result.status === 'SUCCEEDED';
      if (options.json) {
        out.write(`${JSON.stringify({ ok, ...result, ...(total === undefined ? {} : { total }) })}\n`);
      } else {
        out.write(`State machine execution ${result.executionArn}: ${result.status}\n`);
        if (total !== undefined)
          out.write(
            `  windows ${total.windows}, objects ${total.objects}, events ${total.events}, late ${total.late}, poison ${total.poison}, written ${total.written}, deleted ${total.deleted}\n`,
          );
        if (!ok) out.write(`  ${result.error ?? ''}: ${result.cause ?? ''}\n`);
      }
      return ok ? 0 : 1;
    }
    const summary = await runHere(options, err);
    out.write(options.json ? `${JSON.stringify(summary)}\n` : `${describe(summary)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof BackfillRangeError) {
      err.write(`${error.message}\n`);
      return 2;
    }
    const where =
      options.target.kind === 'local'
        ? ` (is local mode running? npm start, DynamoDB on port ${options.target.endpoints.dynamodbPort}, S3 on ${options.target.endpoints.s3Port})`
        : '';
    err.write(`backfill failed: ${(error as Error).message ?? String(error)}${where}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`npm run backfill: ${(error as Error).message ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
