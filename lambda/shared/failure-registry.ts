import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * The failure registry and the per-item marks that let a failed batch be redriven exactly once
 * (docs/redrive.md has the proof). Pure: names, parsing and range arithmetic, shared by the
 * aggregator, which keeps the registry, and the redrive CLI, which reads it.
 *
 * - Registry: one item per shard (`pk` = `failures#<shard>`, `sk` = `registry`), one attribute per
 *   range an attempt registered before it wrote anything: `g:<first>:<last>` (decimal sequence
 *   numbers, inclusive) = epoch ms of the registration. A successful attempt cuts its records out.
 *   What is left covers every record some attempt may have applied to some items and not to others.
 * - Hole, on an aggregate item: `h:<shard>:<attempt>` = the item's `w:<shard>` just before the
 *   first write to it by the attempt starting at record `<attempt>` (`-` when it had none), written
 *   only while a registered range lies below that attempt. A redrive of range [f..b] takes the
 *   item's hole with the lowest attempt above b: the records of [f..b] after it are exactly the
 *   ones the item lacks.
 * - Redrive marker, on an aggregate item: `r:<shard>:<first>`, set by the write that redrove
 *   range `<first>..` into the item, so that a second run skips it.
 */
export const FAILURES_PARTITION_PREFIX = 'failures#';
export const REGISTRY_SORT_KEY = 'registry';
/** A hole's value when the item held nothing of the shard yet: below every watermark. */
export const NOTHING_APPLIED = '-';

/** `shardId-000000000007` → `7`, as the watermark attribute names it; other ids are kept whole. */
export function shardNumber(shardId: string): string {
  const m = /^shardId-0*(\d+)$/.exec(shardId);
  return m === null ? shardId : m[1] === '' ? '0' : m[1];
}

export function registryKey(shardId: string): Record<string, AttributeValue> {
  return { pk: { S: `${FAILURES_PARTITION_PREFIX}${shardNumber(shardId)}` }, sk: { S: REGISTRY_SORT_KEY } };
}

/** A Kinesis sequence number as a short string whose byte order is the numeric order. */
export function positionKey(sequenceNumber: bigint | string): string {
  const digits = BigInt(sequenceNumber).toString(32);
  return `${digits.length.toString(32).padStart(2, '0')}${digits}`;
}

export function holeAttribute(shardId: string, attemptFirst: bigint | string): string {
  return `h:${shardNumber(shardId)}:${positionKey(attemptFirst)}`;
}

export function markerAttribute(shardId: string, rangeFirst: bigint | string): string {
  return `r:${shardNumber(shardId)}:${positionKey(rangeFirst)}`;
}

export interface SequenceRange {
  readonly first: bigint;
  readonly last: bigint;
}

export interface RegistryEntry extends SequenceRange {
  /** Epoch ms the range was last registered. */
  readonly since: number;
}

export function entryAttribute(range: SequenceRange): string {
  return `g:${range.first}:${range.last}`;
}

/**
 * A range redriven into the items, kept on the registry (`d:<first>:<last>` = epoch ms) while the
 * on-failure queue may still hand out its pointer again: SQS may deliver a message once more after
 * it was deleted, and by then the range is no longer registered.
 */
export function redrivenAttribute(range: SequenceRange): string {
  return `d:${range.first}:${range.last}`;
}

/** The redriven ranges the registry item keeps. */
export function parseRedriven(item: Record<string, AttributeValue> | undefined): RegistryEntry[] {
  const out: RegistryEntry[] = [];
  for (const [name, value] of Object.entries(item ?? {})) {
    const m = /^d:(\d+):(\d+)$/.exec(name);
    if (m !== null) out.push({ first: BigInt(m[1]), last: BigInt(m[2]), since: Number(value.N ?? 0) });
  }
  return out;
}

/** The registry's entries from its item, lowest first. */
export function parseRegistry(item: Record<string, AttributeValue> | undefined): RegistryEntry[] {
  const entries: RegistryEntry[] = [];
  for (const [name, value] of Object.entries(item ?? {})) {
    const m = /^g:(\d+):(\d+)$/.exec(name);
    if (m === null) continue;
    entries.push({ first: BigInt(m[1]), last: BigInt(m[2]), since: Number(value.N ?? 0) });
  }
  return entries.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : a.last < b.last ? -1 : 1));
}

const overlaps = (a: SequenceRange, b: SequenceRange): boolean => a.first <= b.last && b.first <= a.last;

/**
 * The registry change that says the records of `done` are applied to every item they touch: every
 * entry overlapping it is replaced by what lies outside it. Names to remove and entries to set.
 */
export function cutOut(
  entries: readonly RegistryEntry[],
  done: SequenceRange,
): { remove: string[]; set: RegistryEntry[] } {
  const remove: string[] = [];
  const set = new Map<string, RegistryEntry>();
  for (const e of entries) {
    if (!overlaps(e, done)) continue;
    remove.push(entryAttribute(e));
    if (e.first < done.first) {
      const left = { first: e.first, last: done.first - 1n, since: e.since };
      set.set(entryAttribute(left), left);
    }
    if (e.last > done.last) {
      const right = { first: done.last + 1n, last: e.last, since: e.since };
      set.set(entryAttribute(right), right);
    }
  }
  // A remainder lies outside `done`, so it never is one of the entries removed.
  return { remove, set: [...set.values()] };
}

/**
 * The highest record, below the attempt starting at `attemptFirst`, of a registered range Lambda has
 * finished with but nobody has redriven yet; undefined when there is none. With one batch per shard
 * at a time, an entry that starts below the attempt is finished up to the attempt's first record:
 * Lambda moved past it, having cut out what succeeded. With concurrent batches per shard
 * (parallelization factor above 1), only an entry wholly below is.
 */
export function openGapEnd(
  entries: readonly RegistryEntry[],
  attemptFirst: bigint,
  oneBatchPerShard: boolean,
): bigint | undefined {
  let end: bigint | undefined;
  for (const e of entries) {
    if (e.first >= attemptFirst) continue;
    if (e.last >= attemptFirst && !oneBatchPerShard) continue;
    const top = e.last < attemptFirst ? e.last : attemptFirst - 1n;
    if (end === undefined || top > end) end = top;
  }
  return end;
}

/** Attempt positions of an item's holes for the shard, from the item's attribute names. */
export function holesOf(item: Record<string, AttributeValue> | undefined, shardId: string): string[] {
  const prefix = `h:${shardNumber(shardId)}:`;
  const out: string[] = [];
  for (const name in item ?? {}) if (name.startsWith(prefix)) out.push(name.slice(prefix.length));
  return out.sort();
}

/**
 * Whether an attempt must record a hole on the item before writing it: some open gap ends after the
 * item's latest hole, so no earlier write has kept the item's mark for it.
 */
export function needsHole(holes: readonly string[], gapEnd: bigint | undefined): boolean {
  if (gapEnd === undefined) return false;
  const latest = holes.length === 0 ? undefined : holes[holes.length - 1];
  return latest === undefined || latest <= positionKey(gapEnd);
}

/**
 * What of range [first..last] of the shard the item already holds: every user record up to the
 * returned watermark. The hole of the first attempt after the range if there is one, else the
 * item's own watermark (no later attempt wrote it).
 */
export function appliedThrough(
  item: Record<string, AttributeValue> | undefined,
  shardId: string,
  watermarkAttribute: string,
  rangeLast: bigint,
): { mark: string; hole?: string } {
  const after = positionKey(rangeLast);
  const hole = holesOf(item, shardId).find((h) => h > after);
  if (hole !== undefined) {
    const name = `h:${shardNumber(shardId)}:${hole}`;
    return { mark: item![name].S ?? NOTHING_APPLIED, hole: name };
  }
  return { mark: item?.[watermarkAttribute]?.S ?? NOTHING_APPLIED };
}
