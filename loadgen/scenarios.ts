import type { PipelineEvent } from '../lambda/shared/event-schema';
import { type Random, Zipf, intBelow, logNormal, normal, round, seededRandom, weighted } from './random';

export const SCENARIOS = ['clickstream', 'iot', 'logs'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** Default key cardinality per scenario: users, devices, service routes. */
export const DEFAULT_KEYS: Readonly<Record<ScenarioName, number>> = { clickstream: 1_000, iot: 200, logs: 40 };

export interface GeneratorOptions {
  readonly scenario: ScenarioName;
  readonly seed: number;
  readonly keys: number;
  /** Share of records that break the event contract on purpose, 0..1. */
  readonly poisonRate: number;
  /** Event time of the first event, epoch ms. */
  readonly startMs: number;
  /** Events per second: spaces the event times, so the same flags give the same events. */
  readonly rate: number;
}

export interface GeneratedRecord {
  readonly partitionKey: string;
  readonly data: Buffer;
  /** The event, when the record is a valid one. */
  readonly event?: PipelineEvent;
}

type Make = (index: number, timeMs: number) => PipelineEvent;

function clickstream(random: Random, keys: number, prefix: string): Make {
  const users = new Zipf(keys, 0.9);
  const pages = new Zipf(500, 1.2);
  return (index, timeMs) => {
    const user = users.sample(random);
    const type = weighted(random, [
      ['page_view', 70],
      ['click', 22],
      ['add_to_cart', 6],
      ['purchase', 2],
    ] as const);
    const page = `/p/${pages.sample(random)}`;
    // A session is a user's half hour: stable per user and time, so replays keep it.
    const session = `s-${user}-${Math.floor(timeMs / 1_800_000)}`;
    const base = {
      eventId: `${prefix}-${index}`,
      eventTime: new Date(timeMs).toISOString(),
      type,
      key: `user-${user}`,
    };
    if (type === 'purchase') {
      const amount = round(Math.min(5_000, logNormal(random, 35, 0.9)), 2);
      return { ...base, value: amount, attributes: { page, session, currency: 'USD', items: 1 + intBelow(random, 4) } };
    }
    if (type === 'page_view') {
      return {
        ...base,
        value: Math.round(logNormal(random, 12_000, 1)),
        attributes: { page, session, unit: 'dwell_ms' },
      };
    }
    return { ...base, attributes: { page, session } };
  };
}

function iot(random: Random, keys: number, prefix: string): Make {
  // Each device drifts around a baseline of its own; drift is a random walk, spikes are rare.
  const baseline = Array.from({ length: keys }, () => 18 + 8 * random());
  const drift = new Float64Array(keys);
  const devices = new Zipf(keys, 0.3);
  return (index, timeMs) => {
    const device = devices.sample(random);
    drift[device] += 0.05 * normal(random);
    const spike = random() < 0.002 ? 15 * (random() < 0.5 ? -1 : 1) : 0;
    const type = random() < 0.8 ? 'temperature' : 'humidity';
    const reading =
      type === 'temperature'
        ? baseline[device] + drift[device] + 0.3 * normal(random) + spike
        : Math.max(0, Math.min(100, 45 + 4 * drift[device] + 2 * normal(random) + spike));
    return {
      eventId: `${prefix}-${index}`,
      eventTime: timeMs,
      type,
      key: `device-${device}`,
      value: round(reading, 3),
      attributes: { firmware: `1.${device % 4}.0`, spike: spike !== 0 },
    };
  };
}

const SERVICES = ['checkout', 'catalog', 'search', 'auth', 'cart', 'payments', 'shipping', 'reviews'];
const ROUTES = ['GET /', 'GET /items/{id}', 'POST /orders', 'GET /health', 'PUT /items/{id}'];

function logs(random: Random, keys: number, prefix: string): Make {
  const routes = Array.from({ length: keys }, (_, i) => ({
    key: `${SERVICES[i % SERVICES.length]}:${ROUTES[Math.floor(i / SERVICES.length) % ROUTES.length]}${i >= SERVICES.length * ROUTES.length ? `#${i}` : ''}`,
    // Some routes are slow, some fast; each has a long right tail.
    medianMs: 5 + 200 * random() ** 3,
    errorRate: random() < 0.15 ? 0.05 : 0.005,
  }));
  const popularity = new Zipf(keys, 1);
  return (index, timeMs) => {
    const route = routes[popularity.sample(random)];
    const failed = random() < route.errorRate;
    const status = failed
      ? weighted(random, [
          [500, 5],
          [502, 1],
          [503, 3],
        ] as const)
      : weighted(random, [
          [200, 85],
          [201, 6],
          [204, 4],
          [301, 1],
          [404, 4],
        ] as const);
    const latency = round(logNormal(random, route.medianMs * (failed ? 3 : 1), 0.6), 1);
    return {
      eventId: `${prefix}-${index}`,
      eventTime: new Date(timeMs).toISOString().replace('Z', '+00:00'),
      type: status >= 500 ? 'http_error' : 'http_request',
      key: route.key,
      value: latency,
      attributes: { status, unit: 'ms' },
    };
  };
}

const MAKERS: Record<ScenarioName, (random: Random, keys: number, prefix: string) => Make> = { clickstream, iot, logs };

/** Records that break the contract in the ways real producers do. */
function poison(random: Random, index: number, timeMs: number): { partitionKey: string; data: Buffer } {
  const key = `poison-${intBelow(random, 16)}`;
  const kinds = [
    () => `{"eventId":"p-${index}","eventTime":${timeMs},"type":"click"`,
    () => JSON.stringify({ eventId: `p-${index}`, eventTime: timeMs, type: 'has space', key }),
    () => JSON.stringify({ eventId: `p-${index}`, eventTime: '2026-02-30T00:00:00Z', type: 'click', key }),
    () => JSON.stringify({ eventId: `p-${index}`, eventTime: timeMs, type: 'click', key, value: 'NaN' }),
    () => JSON.stringify({ eventTime: timeMs, type: 'click', key }),
    () => 'plain text, not JSON',
  ];
  return { partitionKey: key, data: Buffer.from(kinds[intBelow(random, kinds.length)]()) };
}

/**
 * An endless, deterministic source of records: the same options give the same records, byte for
 * byte. Event times are spaced at the rate from `startMs`, so a run at a held rate has event times
 * that follow the wall clock.
 */
export class EventGenerator {
  private readonly random: Random;
  private readonly make: Make;
  private index = 0;

  constructor(private readonly options: GeneratorOptions) {
    this.random = seededRandom(options.seed);
    this.make = MAKERS[options.scenario](this.random, options.keys, `${options.scenario}-${options.seed}`);
  }

  next(): GeneratedRecord {
    const index = this.index++;
    const timeMs = this.options.startMs + Math.floor((index * 1000) / this.options.rate);
    if (this.options.poisonRate > 0 && this.random() < this.options.poisonRate)
      return poison(this.random, index, timeMs);
    const event = this.make(index, timeMs);
    return { partitionKey: event.key, data: Buffer.from(JSON.stringify(event)), event };
  }
}
