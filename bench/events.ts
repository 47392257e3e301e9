import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { InputRecord } from '../lambda/aggregator/core';
import { type AggregatePlan, planAggregates } from '../lambda/shared/aggregate-plan';
import type { Declarations } from '../lambda/shared/declarations';
import { loadDeclarationsFile, PROJECT_AGGREGATES_FILE } from '../lambda/shared/declarations-file';
import { DEFAULT_KEYS, EventGenerator, type ScenarioName } from '../loadgen/scenarios';

/** Event time of the first generated event in every benchmark: a fixed instant, so runs compare. */
export const BENCH_START_MS = Date.UTC(2026, 10, 23, 9, 0);
/** Lateness the handler gives declarations without one: the table's TTL (7 days in dev). */
export const DEFAULT_LATENESS_SECONDS = 7 * 86_400;
/** A realistic Kinesis sequence number: 56 digits, as the watermarks must hold. */
const FIRST_SEQUENCE = 49_650_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000n;
/** Records reach the stream this long after their event time (a producer's buffering). */
const ARRIVAL_DELAY_MS = 150;

export function defaultDeclarations(): Declarations {
  return loadDeclarationsFile(PROJECT_AGGREGATES_FILE);
}

export function defaultPlan(): AggregatePlan {
  return planAggregates(defaultDeclarations(), DEFAULT_LATENESS_SECONDS);
}

export interface StreamOptions {
  readonly scenario: ScenarioName;
  readonly seed?: number;
  /** Events per second of event time (and of arrival). @default 1,000 */
  readonly rate?: number;
  readonly keys?: number;
  readonly shardId?: string;
  readonly startMs?: number;
}

/**
 * One shard's records as Lambda delivers them, made by the load generator (`EventGenerator`, the
 * events `npm run loadgen` sends): realistic attributes, in event-time order at `rate`, each arriving
 * 150 ms after its event time, with 56-digit sequence numbers that only grow. `next(n)` continues
 * where the last batch stopped, so successive batches are never replays of each other.
 */
export class ShardStream {
  readonly shardId: string;
  private readonly generator: EventGenerator;
  private readonly rate: number;
  private readonly startMs: number;
  private index = 0;

  constructor(options: StreamOptions) {
    this.rate = options.rate ?? 1_000;
    this.startMs = options.startMs ?? BENCH_START_MS;
    this.shardId = options.shardId ?? 'shardId-000000000000';
    this.generator = new EventGenerator({
      scenario: options.scenario,
      seed: options.seed ?? 7,
      keys: options.keys ?? DEFAULT_KEYS[options.scenario],
      poisonRate: 0,
      startMs: this.startMs,
      rate: this.rate,
    });
  }

  next(count: number): InputRecord[] {
    const out: InputRecord[] = [];
    for (let n = 0; n < count; n++) {
      const i = this.index++;
      const record = this.generator.next();
      const eventTimeMs = this.startMs + Math.floor((i * 1000) / this.rate);
      out.push({
        shardId: this.shardId,
        sequenceNumber: (FIRST_SEQUENCE + BigInt(i) * 1_000n).toString(),
        partitionKey: record.partitionKey,
        data: record.data.toString('base64'),
        approximateArrivalTimestamp: (eventTimeMs + ARRIVAL_DELAY_MS) / 1000,
      });
    }
    return out;
  }
}

/** `size` clickstream records from the load generator (1,000 users, Zipf), at 1,000 events/s. */
export function clickstreamBatch(size: number, seed = 7): InputRecord[] {
  return new ShardStream({ scenario: 'clickstream', seed }).next(size);
}

export const KB = 1_024;

/**
 * DynamoDB's size of an item, by the documented rules (Developer Guide, "DynamoDB item sizes and
 * formats", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 * every attribute is its name's UTF-8 bytes plus its value: a string's UTF-8 bytes; a number's
 * 1 byte per two significant digits plus 1 (leading and trailing zeros trimmed); a binary's raw
 * bytes; 1 byte for null and Boolean; 3 bytes for a list or map plus 1 per element. The 100 bytes
 * of per-item storage overhead count for storage only, never for capacity units, so they are not here.
 */
export function itemBytes(item: Readonly<Record<string, AttributeValue>>): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) total += Buffer.byteLength(name, 'utf8') + valueBytes(value);
  return total;
}

function numberBytes(text: string): number {
  const digits = text.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

function valueBytes(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S, 'utf8');
  if (v.N !== undefined) return numberBytes(v.N);
  if (v.B !== undefined) return v.B.length;
  if (v.NULL !== undefined || v.BOOL !== undefined) return 1;
  if (v.SS !== undefined) return v.SS.reduce((t, s) => t + Buffer.byteLength(s, 'utf8'), 0);
  if (v.NS !== undefined) return v.NS.reduce((t, s) => t + numberBytes(s), 0);
  if (v.BS !== undefined) return v.BS.reduce((t, b) => t + b.length, 0);
  if (v.L !== undefined) return 3 + v.L.reduce((t, e) => t + 1 + valueBytes(e), 0);
  if (v.M !== undefined) return 3 + Object.values(v.M).reduce((t, e) => t + 1 + valueBytes(e), 0) + itemBytes(v.M);
  return 0;
}

/** Write units of one write of an item of this size: 1 per 1 KB, rounded up (at least 1). */
export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / KB));
/** Read units of one strongly consistent read: 1 per 4 KB, rounded up (at least 1). */
export const readUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / (4 * KB)));

/** Requests and capacity units of one class of items (an aggregate and window, say). */
export interface Metered {
  read: number;
  write: number;
  requests: number;
  /** Conditional writes refused (ConditionalCheckFailed): DynamoDB bills them too, dynalite reports none. */
  refused: number;
}

/** Capacity DynamoDB (here dynalite, which applies the same rules) reports, by class of item. */
export interface CapacityMeter {
  readonly byClass: ReadonlyMap<string, Metered>;
  reset(): void;
}

/** `<aggregate> <window>` from an aggregates table key (`pk` = `<aggregate>#<window>#<day>#<nn>`). */
export function aggregateWindowOf(input: Record<string, unknown>): string {
  const item = (input.Key ?? input.Item) as Record<string, AttributeValue> | undefined;
  const pk = item?.pk?.S;
  if (pk === undefined) return 'other';
  const [aggregate, window] = pk.split('#');
  return window === undefined ? aggregate : `${aggregate} ${window}`;
}

/**
 * Asks every request of the client for its consumed capacity (`ReturnConsumedCapacity: TOTAL`) and
 * adds it up by class of item, with the requests and the refused conditional writes.
 */
export function meterCapacity(
  client: DynamoDBClient,
  classify: (input: Record<string, unknown>) => string = aggregateWindowOf,
): CapacityMeter {
  const byClass = new Map<string, Metered>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? '';
      const input = args.input as Record<string, unknown>;
      const name = classify(input);
      let m = byClass.get(name);
      if (m === undefined) {
        m = { read: 0, write: 0, requests: 0, refused: 0 };
        byClass.set(name, m);
      }
      m.requests++;
      input.ReturnConsumedCapacity = 'TOTAL';
      try {
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity;
        const units = consumed?.CapacityUnits ?? 0;
        if (command === 'GetItemCommand' || command === 'QueryCommand' || command === 'ScanCommand') m.read += units;
        else m.write += units;
        return result;
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException') m.refused++;
        throw error;
      }
    },
    { step: 'initialize', name: 'benchCapacityMeter' },
  );
  return { byClass, reset: () => byClass.clear() };
}
