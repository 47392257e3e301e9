import type { PlannedAggregate } from '../shared/aggregate-plan';
import { settleAll } from '../shared/concurrency';
import { type ArchiveObject, decodeObject } from './archive-source';
import type { ReplaceOutcome } from './backfill-store';
import {
  ARCHIVE_EVENTS_PREFIX,
  type ArchiveFormat,
  type BackfillRange,
  type BackfillSettings,
  type BackfilledItem,
  type Slice,
  type WindowSpan,
  WindowFold,
  formatOfKey,
  hourPrefixes,
  objectTime,
  planRange,
} from './core';

/** Where the archived objects come from: the archive bucket (ArchiveSource), or memory in a benchmark. */
export interface ArchiveReader {
  list(prefix: string): Promise<ArchiveObject[]>;
  get(key: string): Promise<Buffer>;
}

/** Where recomputed windows go: the table (BackfillStore). */
export interface ItemReplacer {
  readonly dryRun: boolean;
  replace(
    aggregate: PlannedAggregate,
    spans: readonly WindowSpan[],
    items: readonly BackfilledItem[],
  ): Promise<ReplaceOutcome>;
}

export interface BackfillRequest {
  readonly aggregate: PlannedAggregate;
  readonly fromMs: number;
  readonly toMs: number;
  /** @default the whole range */
  readonly slice?: Slice;
  /** `auto` tells each object's format by its name. @default 'auto' */
  readonly format?: ArchiveFormat | 'auto';
  readonly settings: BackfillSettings;
  readonly nowMs: number;
  /** @default ARCHIVE_EVENTS_PREFIX */
  readonly prefix?: string;
}

export interface BackfillProgress {
  readonly objectsDone: number;
  readonly objectsTotal: number;
  readonly bytesDone: number;
}

export interface BackfillHooks {
  readonly onPlan?: (range: BackfillRange, objects: number, bytes: number) => void;
  readonly onProgress?: (progress: BackfillProgress) => void;
  /** Milliseconds left to finish in (Lambda's remaining time); a slice that cannot finish stops early. */
  readonly remainingMs?: () => number;
  /** Closed items are written once this many are waiting. @default 20_000 */
  readonly flushItems?: number;
  /** Objects downloaded ahead of the one being folded. @default 8 */
  readonly prefetch?: number;
}

export interface BackfillSummary {
  readonly aggregate: string;
  /** The slice's part of the range, ISO-8601. */
  readonly from: string;
  readonly to: string;
  readonly slice: string;
  readonly windows: number;
  readonly objects: number;
  readonly bytes: number;
  /** Archived user records read: lines of GZIP NDJSON, rows of Parquet. */
  readonly records: number;
  readonly events: number;
  readonly poison: number;
  readonly poisonReasons: Readonly<Record<string, number>>;
  readonly late: number;
  readonly written: number;
  readonly deleted: number;
  readonly dryRun: boolean;
}

/** Objects stop being read this long before the invocation's end, so the slice fails with its reason. */
const DEADLINE_MARGIN_MS = 60_000;

/**
 * One slice of a backfill, start to end: the objects whose time can hold its events, in time order,
 * folded into its windows; windows are written as soon as no later object can change them.
 */
export async function runBackfill(
  request: BackfillRequest,
  archive: ArchiveReader,
  store: ItemReplacer,
  hooks: BackfillHooks = {},
): Promise<BackfillSummary> {
  const slice = request.slice ?? { index: 1, count: 1 };
  const range = planRange(request.aggregate, request.fromMs, request.toMs, request.nowMs, request.settings, slice);
  const listed = range.spans.length === 0 ? [] : await listObjects(archive, range, request.prefix);
  const bytesTotal = listed.reduce((n, o) => n + o.object.size, 0);
  hooks.onPlan?.(range, listed.length, bytesTotal);

  const fold = new WindowFold(range);
  const poisonReasons: Record<string, number> = {};
  let records = 0;
  let poison = 0;
  let bytesDone = 0;
  let written = 0;
  let deleted = 0;
  const pending = { spans: new Map<number, WindowSpan>(), items: [] as BackfilledItem[] };
  const flush = async (): Promise<void> => {
    if (pending.spans.size === 0) return;
    const outcome = await store.replace(request.aggregate, [...pending.spans.values()], pending.items);
    written += outcome.written;
    deleted += outcome.deleted;
    pending.spans.clear();
    pending.items = [];
  };
  const take = async (closed: ReturnType<WindowFold['close']>): Promise<void> => {
    for (const span of closed.spans) {
      const held = pending.spans.get(span.window);
      pending.spans.set(span.window, held === undefined ? span : { ...held, last: span.last });
    }
    for (const item of closed.items) pending.items.push(item);
    if (pending.items.length >= (hooks.flushItems ?? 20_000)) await flush();
  };

  const downloads = new Map<number, Promise<Buffer>>();
  const prefetch = hooks.prefetch ?? 8;
  const fetch = (i: number): void => {
    if (i < listed.length && !downloads.has(i)) downloads.set(i, archive.get(listed[i].object.key));
  };
  for (let i = 0; i < listed.length; i++) {
    if (hooks.remainingMs !== undefined && hooks.remainingMs() < DEADLINE_MARGIN_MS) {
      throw new Error(
        `slice ${slice.index}/${slice.count}: ${listed.length - i} of ${listed.length} archive objects were left when the invocation's time ran short; split the range into more slices`,
      );
    }
    for (let j = i; j <= i + prefetch; j++) fetch(j);
    const { object, time } = listed[i];
    await take(fold.close(time));
    const bytes = await downloads.get(i)!;
    downloads.delete(i);
    const format = request.format === undefined || request.format === 'auto' ? formatOfKey(object.key) : request.format;
    await decodeObject(bytes, format, {
      event: (event) => {
        records++;
        fold.add(event, time);
      },
      poison: (reason) => {
        records++;
        poison++;
        poisonReasons[reason] = (poisonReasons[reason] ?? 0) + 1;
      },
    });
    bytesDone += object.size;
    hooks.onProgress?.({ objectsDone: i + 1, objectsTotal: listed.length, bytesDone });
  }
  await take(fold.finish());
  await flush();

  return {
    aggregate: request.aggregate.name,
    from: new Date(range.fromMs).toISOString(),
    to: new Date(range.toMs).toISOString(),
    slice: `${slice.index}/${slice.count}`,
    windows: range.spans.reduce((n, s) => n + (s.last - s.first) / s.widthMs + 1, 0),
    objects: listed.length,
    bytes: bytesDone,
    records,
    events: fold.counts.events,
    poison,
    poisonReasons,
    late: fold.counts.late,
    written,
    deleted,
    dryRun: store.dryRun,
  };
}

/** The range's objects in time order (then by key, so every run folds them in the same order). */
async function listObjects(
  archive: ArchiveReader,
  range: BackfillRange,
  prefix = ARCHIVE_EVENTS_PREFIX,
): Promise<{ object: ArchiveObject; time: number }[]> {
  const out: { object: ArchiveObject; time: number }[] = [];
  const hours = await settleAll(hourPrefixes(range, prefix), 16, (hour) => archive.list(hour));
  for (const listed of hours) {
    if (!listed.ok) throw listed.error;
    for (const object of listed.value) {
      const time = objectTime(object.key);
      if (time !== undefined && time >= range.objectsFromMs && time <= range.objectsToMs) out.push({ object, time });
    }
  }
  return out.sort(
    (a, b) => a.time - b.time || (a.object.key < b.object.key ? -1 : a.object.key > b.object.key ? 1 : 0),
  );
}
