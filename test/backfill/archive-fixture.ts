import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { itemKey } from '../../lambda/shared/aggregate-item';
import type { AggregateDeclaration } from '../../lambda/shared/declarations';
import { MEASURES } from '../../lambda/shared/measures';
import { archiveKey } from '../../local/archive-writer';

/** A declaration the archive's events were never aggregated for: history only backfill can make. */
export const NEW_DECLARATION = {
  version: 2,
  aggregates: [
    {
      name: 'checkout',
      types: ['page_view', 'purchase'],
      groupBy: ['type', 'attributes.page'],
      windows: ['1m', '1h'],
      allowedLateness: '10m',
      measures: {
        n: { op: 'count' },
        total: { op: 'sum', of: 'value' },
        lo: { op: 'min', of: 'value' },
        hi: { op: 'max', of: 'value' },
        mean: { op: 'avg', of: 'attributes.latencyMs' },
        users: { op: 'distinct', of: 'key' },
        latency: { op: 'quantiles', of: 'attributes.latencyMs' },
        referrers: { op: 'topK', of: 'attributes.referrer', k: 3 },
      },
    },
  ],
};

export interface ArchivedEvent {
  /** The record as it was put: an event, or a poison line. */
  readonly line: string;
  readonly event?: {
    eventId: string;
    eventTime: string | number;
    type: string;
    key: string;
    value?: number;
    attributes?: Record<string, unknown>;
  };
}

/** Records grouped as archive objects: each with its time (its oldest record's arrival). */
export interface ArchivedObject {
  readonly time: number;
  readonly records: readonly ArchivedEvent[];
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Events of two hours from `startMs`, archived in objects every 30 s of arrival. Most arrive within
 * seconds of their event time; some hours late (past the 10-minute lateness); some are poison, some
 * of other types, some lack the measured fields.
 */
export function archivedObjects(startMs: number, events = 2_500, seed = 7): ArchivedObject[] {
  const random = rng(seed);
  const pages = ['/home', '/cart', '/pay', '/help'];
  const referrers = ['search', 'ads', 'mail', 'social', 'direct', 'partner'];
  const types = ['page_view', 'purchase', 'heartbeat'];
  const arrivals: { arrival: number; record: ArchivedEvent }[] = [];
  for (let i = 0; i < events; i++) {
    const eventTime = startMs + Math.floor(random() * 2 * 3_600_000);
    const lateBy = random() < 0.03 ? 20 * 60_000 + random() * 3_600_000 : random() * 40_000;
    const arrival = eventTime + lateBy;
    if (random() < 0.02) {
      arrivals.push({ arrival, record: { line: random() < 0.5 ? '{"not":"an event"}' : 'not json at all' } });
      continue;
    }
    const event: NonNullable<ArchivedEvent['event']> = {
      eventId: `e-${i}`,
      eventTime: random() < 0.5 ? eventTime : new Date(eventTime).toISOString(),
      type: types[Math.floor(random() * types.length)],
      key: `user-${Math.floor(random() * 60)}`,
    };
    if (random() < 0.9) event.value = Math.round(random() * 10_000) / 100;
    const attributes: Record<string, unknown> = {};
    if (random() < 0.95) attributes.page = pages[Math.floor(random() * pages.length)];
    if (random() < 0.8) attributes.latencyMs = Math.round(random() * 2_000);
    if (random() < 0.7) attributes.referrer = referrers[Math.floor(random() ** 2 * referrers.length)];
    if (Object.keys(attributes).length > 0) event.attributes = attributes;
    arrivals.push({ arrival, record: { line: JSON.stringify(event), event } });
  }
  arrivals.sort((a, b) => a.arrival - b.arrival);
  const objects: ArchivedObject[] = [];
  for (const a of arrivals) {
    const open = objects[objects.length - 1];
    if (open !== undefined && a.arrival - open.time < 30_000) (open.records as ArchivedEvent[]).push(a.record);
    else objects.push({ time: Math.floor(a.arrival / 1000) * 1000, records: [a.record] });
  }
  return objects;
}

export async function putGzipArchive(s3: S3Client, bucket: string, objects: readonly ArchivedObject[]): Promise<void> {
  for (const o of objects) {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: archiveKey('events/', 'events-archive', new Date(o.time)),
        Body: gzipSync(o.records.map((r) => `${r.line}\n`).join('')),
      }),
    );
  }
}

/**
 * The same records as Firehose's record format conversion writes them: the Glue table's lower-case
 * columns, `eventtime` as text, `attributes` as its JSON text. Records that are not JSON objects
 * cannot be converted and go to the error prefix instead, so they are left out here.
 */
export async function putParquetArchive(
  s3: S3Client,
  bucket: string,
  objects: readonly ArchivedObject[],
): Promise<void> {
  for (const o of objects) {
    const rows = o.records.flatMap((r) => {
      if (r.event !== undefined) return [{ ...r.event }];
      try {
        return [JSON.parse(r.line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
    const column = (pick: (r: Record<string, unknown>) => unknown): unknown[] => rows.map(pick);
    const text = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'eventid', data: column((r) => text(r.eventId)), type: 'STRING' },
        { name: 'eventtime', data: column((r) => text(r.eventTime)), type: 'STRING' },
        { name: 'type', data: column((r) => text(r.type)), type: 'STRING' },
        { name: 'key', data: column((r) => text(r.key)), type: 'STRING' },
        { name: 'value', data: column((r) => (typeof r.value === 'number' ? r.value : null)), type: 'DOUBLE' },
        {
          name: 'attributes',
          data: column((r) => (r.attributes === undefined ? null : JSON.stringify(r.attributes))),
          type: 'STRING',
        },
      ],
      codec: 'SNAPPY',
    });
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: archiveKey('events/', 'events-archive', new Date(o.time)).replace(/\.gz$/, '.parquet'),
        Body: new Uint8Array(buffer),
      }),
    );
  }
}

type Item = Record<string, AttributeValue>;

/**
 * The items a backfill of [from, to) must leave, computed here from the records with the measure
 * ops alone: per window size, windows starting in the range; an event counts if its object's time
 * is within its window's end plus the lateness. Keyed by `pk sk`, attributes as stored.
 */
/** The objects a backfill of [from, to) reads: from one buffer interval before to the lateness and one interval after. */
export function objectsRead(
  objects: readonly ArchivedObject[],
  fromMs: number,
  lastEndMs: number,
  latenessMs: number,
  bufferMs: number,
): ArchivedObject[] {
  return objects.filter((o) => o.time >= fromMs - bufferMs && o.time <= lastEndMs + latenessMs + bufferMs);
}

export function truth(
  declaration: AggregateDeclaration,
  objects: readonly ArchivedObject[],
  fromMs: number,
  toMs: number,
): Map<string, Item> {
  const states = new Map<string, { key: { pk: string; sk: string }; states: Map<string, unknown> }>();
  const lateness = declaration.allowedLatenessSeconds! * 1000;
  for (const o of objects) {
    for (const r of o.records) {
      const e = r.event;
      if (e === undefined || !declaration.types.includes(e.type)) continue;
      const time = typeof e.eventTime === 'number' ? e.eventTime : Date.parse(e.eventTime);
      declaration.windowSeconds.forEach((seconds, w) => {
        const width = seconds * 1000;
        const start = Math.floor(time / width) * width;
        if (start < fromMs || start >= toMs || o.time > start + width + lateness) return;
        const group = declaration.groupBy.map((f) => {
          const v = f === 'type' ? e.type : e.attributes?.[f.slice('attributes.'.length)];
          return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
        });
        const key = itemKey(declaration.name, declaration.windows[w], declaration.groupBy, start, group);
        const id = `${key.pk} ${key.sk}`;
        let entry = states.get(id);
        if (entry === undefined) {
          entry = {
            key,
            states: new Map(Object.entries(declaration.measures).map(([n, m]) => [n, MEASURES[m.op].create(m)])),
          };
          states.set(id, entry);
        }
        for (const [name, m] of Object.entries(declaration.measures)) {
          const kind = MEASURES[m.op];
          if (kind.input === 'none') {
            entry.states.set(name, kind.add(entry.states.get(name), undefined));
            continue;
          }
          const field = m.of!;
          const raw =
            field === 'value'
              ? (e.value ?? 1)
              : field === 'key'
                ? e.key
                : field === 'type'
                  ? e.type
                  : e.attributes?.[field.slice('attributes.'.length)];
          if (kind.input === 'number' && typeof raw !== 'number') continue;
          if (kind.input === 'string' && typeof raw !== 'string' && typeof raw !== 'number') continue;
          entry.states.set(
            name,
            kind.add(entry.states.get(name), kind.input === 'string' ? String(raw) : (raw as number)),
          );
        }
      });
    }
  }
  const out = new Map<string, Item>();
  for (const [id, entry] of states) {
    const item: Item = {};
    for (const [name, m] of Object.entries(declaration.measures))
      Object.assign(item, MEASURES[m.op].store(name, entry.states.get(name)));
    out.set(id, item);
  }
  return out;
}
