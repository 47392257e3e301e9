import { readFileSync } from 'node:fs';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { resolveStack } from '../dashboard/stack-outputs';
import { AggregatesReader } from '../dashboard/aggregates-reader';
import { type Declarations, findAggregate } from '../lambda/shared/declarations';
import { aggregatesFileOption } from '../lambda/shared/declarations-file';
import { explained } from '../cli/aws-errors';
import { type Command, UsageError, parseCommandLine, parseFlags, usage } from '../cli/flags';
import { endpointConfig } from '../local/credentials';
import { aggregatesOption, parseDuration } from '../loadgen/options';
import {
  type Comparison,
  type Expectation,
  combine,
  compareAggregate,
  describeMismatch,
  describeSummary,
  expectation,
  parseExpectFile,
  rangeKey,
} from './compare';

export const VERIFY: Command = {
  run: 'npm run verify --',
  synopsis: ['--expect FILE (--stack NAME | --table NAME [--endpoint URL])'],
  about: "Checks that the aggregates table holds exactly what a load generator run's --expect file says it should.",
  flags: {
    expect: {
      type: 'string',
      value: 'FILE',
      help: 'the file the load generator wrote with --expect (version 2, or a version 1 file of by_key)',
    },
    stack: { type: 'string', value: 'NAME', help: 'a deployed stack: its AggregatesTableName output is read' },
    table: {
      type: 'string',
      value: 'NAME',
      help: 'the aggregates table by name (local mode: aggregates, with --endpoint)',
    },
    endpoint: {
      type: 'string',
      value: 'URL',
      help: "a DynamoDB endpoint, e.g. local mode's http://127.0.0.1:4568; on 127.0.0.1 or localhost it uses the emulators' credentials",
    },
    aggregates: {
      type: 'string',
      value: 'PATH',
      help: 'the declarations the table was written with',
      defaultText: "the repository's aggregates.json",
    },
    region: { type: 'string', value: 'R', help: 'AWS region', defaultText: "the SDK's: AWS_REGION, or the profile's" },
    profile: { type: 'string', value: 'P', help: "AWS profile, as the AWS CLI's --profile" },
    wait: {
      type: 'string',
      value: 'TIME',
      help: 'keep reading until everything matches or this long has passed',
      default: '60s',
    },
    json: { type: 'boolean', help: 'print the result as JSON' },
  },
  notes: ['Exit 0 when every expected item matches, 1 on any mismatch, 2 on a usage error.'],
};

export const USAGE = usage(VERIFY);

/** Mismatches listed in text; JSON lists more, and always says how many there were. */
const SHOWN = 20;
const SHOWN_JSON = 1_000;

export interface VerifyOptions {
  readonly expect: string;
  readonly stack?: string;
  readonly table?: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly waitMs: number;
  readonly json: boolean;
  readonly aggregatesFile: string;
  readonly declarations: Declarations;
}

export function parseVerifyOptions(argv: readonly string[]): VerifyOptions {
  const values = parseFlags(argv, VERIFY.flags);
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
  const wait = text('wait')!;
  let waitMs: number;
  try {
    waitMs = /^0+(ms|s|m|h)?$/.test(wait) ? 0 : parseDuration(wait);
  } catch {
    throw new UsageError(`--wait: expected a duration such as 0s, 30s or 2m, got "${wait}"`);
  }
  const aggregates = text('aggregates');
  const declarations = aggregatesOption(aggregates);
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
    aggregatesFile: aggregatesFileOption(aggregates),
    declarations,
  };
}

/** Reads every expected aggregate's windows once; the aggregates are eventually there, so the caller polls. */
export async function readAndCompare(
  reader: AggregatesReader,
  expect: Expectation,
  declarations: Declarations,
): Promise<Comparison> {
  const parts = [];
  for (const e of expect.aggregates) {
    const declaration = findAggregate(declarations, e.name)!;
    const range = expect.ranges.get(rangeKey(e.name, e.window));
    // Room for every expected item and as many again that should not be there, so extras show.
    const limit = Math.max(50_000, 2 * e.items.length);
    const { items, truncated } =
      range === undefined
        ? { items: [], truncated: false }
        : await reader.items(declaration, e.window, range.fromMs, range.toMs, {}, limit);
    parts.push(compareAggregate(e, declaration, items, { extras: expect.extras, truncated }));
  }
  return combine(parts);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function verify(
  reader: AggregatesReader,
  expect: Expectation,
  declarations: Declarations,
  waitMs: number,
  pollMs = 2_000,
): Promise<Comparison> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const result = await readAndCompare(reader, expect, declarations);
    // Too much is as wrong as too little, and waiting will not fix it.
    const settled = result.mismatches.every((m) => m.overshoot);
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
  const parsed = parseCommandLine(
    VERIFY,
    argv,
    (args) => {
      const options = parseVerifyOptions(args);
      let text: string;
      try {
        text = readFileSync(options.expect, 'utf8');
      } catch {
        throw new UsageError(`--expect: cannot read ${options.expect}`);
      }
      const expect = expectation(parseExpectFile(text, options.expect), options.declarations, options.aggregatesFile);
      return { options, expect };
    },
    { out, err },
  );
  if (!('options' in parsed)) return parsed.exitCode;
  const { options, expect } = parsed.options;
  // The SDK's credential chain reads the profile from here, like the AWS CLI's --profile.
  if (options.profile !== undefined) process.env.AWS_PROFILE = options.profile;
  const client = endpointConfig(options.endpoint, options.region);
  const where = { region: client.region, endpoint: options.endpoint };
  const tableName =
    options.table ??
    (
      await explained(() => resolveStack(new CloudFormationClient(client), options.stack!), {
        ...where,
        resource: `stack "${options.stack}"`,
        flag: '--stack',
        action: 'cloudformation:DescribeStacks',
      })
    ).tableName;
  const reader = new AggregatesReader(new DynamoDBClient(client), tableName);
  const result = await explained(() => verify(reader, expect, options.declarations, options.waitMs), {
    ...where,
    resource: `table "${tableName}"`,
    flag: options.table === undefined ? undefined : '--table',
    action: 'dynamodb:Query',
  });
  const truncated = result.aggregates.some((a) => a.truncated);
  const ok = result.mismatches.length === 0 && !truncated;
  if (options.json) {
    out.write(
      `${JSON.stringify({
        table: tableName,
        version: expect.version,
        events: expect.events,
        ok,
        items: result.items,
        matched: result.matched,
        aggregates: result.aggregates,
        mismatchCount: result.mismatches.length,
        mismatches: result.mismatches.slice(0, SHOWN_JSON),
      })}\n`,
    );
  } else {
    out.write(
      `${expect.events} events in ${result.items} aggregate items; ${result.matched} match in table ${tableName}\n`,
    );
    for (const s of result.aggregates) out.write(`  ${describeSummary(s)}\n`);
    for (const m of result.mismatches.slice(0, SHOWN)) out.write(`  ${describeMismatch(m)}\n`);
    if (result.mismatches.length > SHOWN) out.write(`  ... and ${result.mismatches.length - SHOWN} more\n`);
    out.write(ok ? 'OK: every expected aggregate is in the table\n' : 'MISMATCH\n');
  }
  return ok ? 0 : 1;
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
