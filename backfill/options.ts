import { type AggregatePlan, planAggregates } from '../lambda/shared/aggregate-plan';
import type { Declarations } from '../lambda/shared/declarations';
import { RequestError, type SliceRequest, parseSliceRequest } from '../lambda/backfill/request';
import { PROFILES } from '../lib/config';
import { LOCAL_MODE_FLAGS, type LocalModeEndpoints, localModeEndpoints } from '../local/start';
import { UsageError, aggregatesOption, parseFlags } from '../loadgen/options';

export const USAGE = `Usage: npm run backfill -- (--stack NAME [--remote [--slices N]] | --local) --aggregate NAME --from ISO --to ISO
  [--slice i/N] [--format auto|gzip|parquet] [--dry-run] [--json] [--help]
  [--aggregates PATH] [--region R] [--profile P]
  [--kinesis-port 4567] [--dynamodb-port 4568] [--s3-port 4569] [--data-dir DIR] [--archive-buffer-seconds 10]

  --stack       a deployed stack: its outputs name the table, the archive bucket and the state machine
  --remote      with --stack: run on the stack's state machine, one Lambda invocation per slice, and follow it
  --slices      with --remote: how many slices the state machine fans out (default: one per UTC day, at most 1000)
  --local       a running local mode (npm start), on its ports; the emulators' credentials are used
  --aggregate   the declaration to recompute
  --from, --to  the windows whose start is in [from, to), ISO-8601 with an offset, e.g. 2026-11-01T00:00:00Z;
                only windows closed to live writes (end + allowedLateness + max record age + buffer interval)
  --slice       run the i-th of N contiguous blocks of the range (1-based), e.g. 2/8; slices never overlap
  --format      the archive's format; auto (default) tells each object by its name (.parquet or GZIP)
  --dry-run     read and recompute, write nothing; say what would be written and deleted
  --json        print the summary as JSON
  --aggregates  the declarations file (default: the repository's aggregates.json; --remote uses the deployed one)
  --region, --profile   AWS Region and named profile, for --stack
  --kinesis-port, --dynamodb-port, --s3-port, --data-dir, --archive-buffer-seconds   as npm start's, for --local

Exit 0 when every slice finished, 1 when one failed, 2 on a usage error.`;

/** At most this many slices per state machine run: an inline Map's iterations all land in one execution history. */
export const MAX_REMOTE_SLICES = 1_000;
const DAY_MS = 86_400_000;

export type Target =
  | { readonly kind: 'local'; readonly endpoints: LocalModeEndpoints; readonly bufferSeconds: number }
  | { readonly kind: 'stack'; readonly stack: string; readonly remote: false }
  | { readonly kind: 'stack'; readonly stack: string; readonly remote: true; readonly slices: number };

export interface BackfillOptions {
  readonly target: Target;
  readonly request: SliceRequest;
  readonly declarations: Declarations;
  readonly plan: AggregatePlan;
  readonly dryRun: boolean;
  readonly json: boolean;
  readonly region?: string;
  readonly profile?: string;
}

/** Lateness of declarations that set none, in local mode: the dev profile's TTL, as `npm start` runs it. */
export const LOCAL_TTL_DAYS = PROFILES.dev.aggregates.ttlDays;

export function parseBackfillOptions(argv: readonly string[]): BackfillOptions {
  const values = parseFlags(argv, {
    stack: { type: 'string' },
    local: { type: 'boolean' },
    remote: { type: 'boolean' },
    slices: { type: 'string' },
    aggregate: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    slice: { type: 'string' },
    format: { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean' },
    region: { type: 'string' },
    profile: { type: 'string' },
    ...LOCAL_MODE_FLAGS,
    'archive-buffer-seconds': { type: 'string' },
  });
  const given = (name: string): boolean => values[name] !== undefined;
  const stack = values.stack as string | undefined;
  if (stack === '') throw new UsageError('--stack: must not be empty');
  const local = values.local === true;
  if ((stack === undefined) === !local) throw new UsageError('--stack: give exactly one of --stack NAME or --local');
  const remote = values.remote === true;
  if (remote && stack === undefined) throw new UsageError('--remote: only with --stack');
  if (given('slices') && !remote) throw new UsageError('--slices: only with --remote');
  if (given('slice') && remote)
    throw new UsageError('--slice: not with --remote, whose state machine runs every slice (see --slices)');
  for (const flag of [...Object.keys(LOCAL_MODE_FLAGS), 'archive-buffer-seconds']) {
    if (flag !== 'aggregates' && given(flag) && !local) throw new UsageError(`--${flag}: only with --local`);
  }
  for (const flag of ['region', 'profile']) {
    if (given(flag) && local) throw new UsageError(`--${flag}: only with --stack`);
  }
  const declarations = aggregatesOption(values.aggregates as string | undefined);
  const ttlDays = local ? LOCAL_TTL_DAYS : undefined;
  // The stack's TTL is read from its outputs later; the plan made here only checks names and times.
  const plan = planAggregates(declarations, (ttlDays ?? PROFILES.dev.aggregates.ttlDays) * 86_400);
  let request: SliceRequest;
  try {
    request = parseSliceRequest(
      {
        aggregate: values.aggregate,
        from: values.from,
        to: values.to,
        slice: values.slice,
        format: values.format,
      },
      plan,
      (field) => `--${field}`,
    );
  } catch (error) {
    if (error instanceof RequestError) throw new UsageError(error.message);
    throw error;
  }

  let target: Target;
  if (local) {
    let endpoints: LocalModeEndpoints;
    try {
      endpoints = localModeEndpoints(values);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const rawBuffer = values['archive-buffer-seconds'] as string | undefined;
    const bufferSeconds = rawBuffer === undefined ? 10 : Number(rawBuffer);
    if (!(Number.isInteger(bufferSeconds) && bufferSeconds > 0 && bufferSeconds <= 900)) {
      throw new UsageError(`--archive-buffer-seconds: expected whole seconds from 1 to 900, got "${rawBuffer}"`);
    }
    target = { kind: 'local', endpoints, bufferSeconds };
  } else if (remote) {
    const raw = values.slices as string | undefined;
    const days = Math.ceil((request.toMs - request.fromMs) / DAY_MS);
    const slices = raw === undefined ? Math.min(MAX_REMOTE_SLICES, Math.max(1, days)) : Number(raw);
    if (!(Number.isInteger(slices) && slices >= 1 && slices <= MAX_REMOTE_SLICES)) {
      throw new UsageError(`--slices: expected an integer from 1 to ${MAX_REMOTE_SLICES}, got "${raw}"`);
    }
    target = { kind: 'stack', stack: stack!, remote: true, slices };
  } else {
    target = { kind: 'stack', stack: stack!, remote: false };
  }
  const region = values.region as string | undefined;
  const profile = values.profile as string | undefined;
  return {
    target,
    request,
    declarations,
    plan,
    dryRun: values['dry-run'] === true,
    json: values.json === true,
    ...(region === undefined ? {} : { region }),
    ...(profile === undefined ? {} : { profile }),
  };
}
