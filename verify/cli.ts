import { readFileSync } from 'node:fs';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { resolveStack } from '../dashboard/stack-outputs';
import { AggregatesReader, type AggregateRow } from '../dashboard/aggregates-reader';
import type { ExpectFile } from '../loadgen/expect';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/credentials';
import { UsageError, parseDuration, parseFlags } from '../loadgen/options';
import { type Comparison, compareAggregates, describeMismatch, parseExpectFile, rangesByType } from './compare';

export const USAGE = `Usage: npm run verify -- --expect FILE (--stack NAME | --table NAME [--endpoint URL])
  [--region R] [--profile P] [--wait 60s] [--json]

  --expect    the file the load generator wrote with --expect
  --stack     a deployed stack: its AggregatesTableName output is read
  --table     the aggregates table by name (local mode: aggregates, with --endpoint)
  --endpoint  a DynamoDB endpoint, e.g. local mode's http://127.0.0.1:4568
  --wait      keep reading until everything matches or this long has passed (default 60s)
  --json      print the result as JSON`;

export interface VerifyOptions {
  readonly expect: string;
  readonly stack?: string;
  readonly table?: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly waitMs: number;
  readonly json: boolean;
}

export function parseVerifyOptions(argv: readonly string[]): VerifyOptions {
  const values = parseFlags(argv, {
    expect: { type: 'string' },
    stack: { type: 'string' },
    table: { type: 'string' },
    endpoint: { type: 'string' },
    region: { type: 'string' },
    profile: { type: 'string' },
    wait: { type: 'string' },
    json: { type: 'boolean' },
  });
  const text = (name: string): string | undefined => {
    const v = values[name];
    if (v === '') throw new UsageError(`--${name}: must not be empty`);
    return v as string | undefined;
  };
  const expect = text('expect');
  if (expect === undefined) throw new UsageError('--expect: required, the file the load generator wrote');
  const stack = text('stack');
  const table = text('table');
  if ((stack === undefined) === (table === undefined)) {
    throw new UsageError('--stack: give exactly one of --stack (a deployed stack) or --table (a table name)');
  }
  const endpoint = text('endpoint');
  if (endpoint !== undefined && stack !== undefined) {
    throw new UsageError('--endpoint: only with --table; a stack is read from AWS');
  }
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    throw new UsageError(`--endpoint: expected a URL such as http://127.0.0.1:4568, got "${endpoint}"`);
  }
  let waitMs = 60_000;
  const wait = text('wait');
  if (wait !== undefined) {
    try {
      waitMs = /^0+(ms|s|m|h)?$/.test(wait) ? 0 : parseDuration(wait);
    } catch {
      throw new UsageError(`--wait: expected a duration such as 0s, 30s or 2m, got "${wait}"`);
    }
  }
  const region = text('region');
  const profile = text('profile');
  return {
    expect,
    ...(stack === undefined ? {} : { stack }),
    ...(table === undefined ? {} : { table }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(region === undefined ? {} : { region }),
    ...(profile === undefined ? {} : { profile }),
    waitMs,
    json: values.json === true,
  };
}

/** Reads every type's windows once; the aggregates are eventually there, so the caller polls. */
export async function readAndCompare(reader: AggregatesReader, expect: ExpectFile): Promise<Comparison> {
  const rows = new Map<string, AggregateRow[]>();
  for (const [type, range] of rangesByType(expect)) {
    rows.set(type, (await reader.aggregates(type, range.from, range.to)).items);
  }
  return compareAggregates(expect, rows);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function verify(
  reader: AggregatesReader,
  expect: ExpectFile,
  waitMs: number,
  pollMs = 2_000,
): Promise<Comparison> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const result = await readAndCompare(reader, expect);
    // Too much is as wrong as too little, and waiting will not fix it.
    const settled = result.mismatches.every((m) => m.kind === 'different' && m.actual!.count > m.expected.count);
    if (result.mismatches.length === 0 || settled || Date.now() + pollMs > deadline) return result;
    await sleep(pollMs);
  }
}

type Output = Pick<NodeJS.WritableStream, 'write'>;

export async function main(
  argv: readonly string[],
  out: Output = process.stdout,
  err: Output = process.stderr,
): Promise<number> {
  let options: VerifyOptions;
  let expect: ExpectFile;
  try {
    options = parseVerifyOptions(argv);
    let text: string;
    try {
      text = readFileSync(options.expect, 'utf8');
    } catch {
      throw new UsageError(`--expect: cannot read ${options.expect}`);
    }
    expect = parseExpectFile(text, options.expect);
  } catch (error) {
    err.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  // The SDK's credential chain reads the profile from here, like the AWS CLI's --profile.
  if (options.profile !== undefined) process.env.AWS_PROFILE = options.profile;
  const region = options.region === undefined ? {} : { region: options.region };
  const tableName = options.table ?? (await resolveStack(new CloudFormationClient(region), options.stack!)).tableName;
  const dynamodb = new DynamoDBClient({
    ...region,
    // The emulators accept any key; local mode's shell need not have AWS credentials.
    ...(options.endpoint === undefined
      ? {}
      : { endpoint: options.endpoint, credentials: LOCAL_CREDENTIALS, region: options.region ?? LOCAL_REGION }),
  });
  const result = await verify(new AggregatesReader(dynamodb, tableName), expect, options.waitMs);
  if (options.json) {
    out.write(`${JSON.stringify({ table: tableName, ...result })}\n`);
  } else {
    out.write(
      `${expect.events} events in ${result.items} aggregate items; ${result.matched} match in table ${tableName}\n`,
    );
    for (const m of result.mismatches.slice(0, 20)) out.write(`  ${describeMismatch(m)}\n`);
    if (result.mismatches.length > 20) out.write(`  ... and ${result.mismatches.length - 20} more\n`);
    out.write(result.mismatches.length === 0 ? 'OK: every expected aggregate is in the table\n' : 'MISMATCH\n');
  }
  return result.mismatches.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`verify: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
