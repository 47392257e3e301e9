import type { ValidEvent } from '../lambda/shared/event-schema';
import { type Random, Zipf, intBelow, logNormal, normal, round, seededRandom } from './random';

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
  /**
   * Attach what the aggregates take from each valid event (for --expect).
   * @default false
   */
  readonly keepValid?: boolean;
}

/** A record as the sender takes it, so that the hot path allocates nothing in between. */
export interface GeneratedRecord {
  readonly partitionKey: string;
  readonly data: Buffer;
  readonly userRecords: 1;
  /** Broken on purpose (--poison). */
  readonly poison: boolean;
  /** What the aggregates take from the event, when `keepValid` is on and the event is valid. */
  readonly valid: readonly ValidEvent[];
}

interface Scratch {
  type: string;
  key: string;
  value: number;
}

/**
 * Each scenario writes its event JSON by hand: JSON.stringify costs more than the rest of the
 * generator together. Every string it embeds is made here from safe characters (checked by
 * `safe`), so no escaping is needed; the tests parse every record and check it against the contract.
 */
type Make = (index: number, timeMs: number, iso: (timeMs: number) => string, out: Scratch) => string;

function safe(text: string): string {
  if (JSON.stringify(text) !== `"${text}"` || !/^[\x20-\x7e]*$/.test(text)) {
    throw new Error(`generator string is not plain ASCII: ${text}`);
  }
  return text;
}

function clickstream(random: Random, keys: number, prefix: string): Make {
  const users = new Zipf(keys, 0.9);
  const pages = new Zipf(500, 1.2);
  // Strings made once, not per event: the generator's cost is mostly allocation.
  const userKeys = Array.from({ length: keys }, (_, i) => `user-${i}`);
  const pagePaths = Array.from({ length: 500 }, (_, i) => `/p/${i}`);
  const types = cumulative([
    ['page_view', 70],
    ['click', 22],
    ['add_to_cart', 6],
    ['purchase', 2],
  ] as const);
  return (index, timeMs, iso, out) => {
    const user = users.sample(random);
    const type = types(random);
    const page = pagePaths[pages.sample(random)];
    // A session is a user's half hour: stable per user and time, so replays keep it.
    const session = `s-${user}-${Math.floor(timeMs / 1_800_000)}`;
    const key = userKeys[user];
    const head = `{"eventId":"${prefix}-${index}","eventTime":"${iso(timeMs)}","type":"${type}","key":"${key}"`;
    let value = 1;
    let json: string;
    if (type === 'purchase') {
      value = round(Math.min(5_000, logNormal(random, 35, 0.9)), 2);
      const items = 1 + intBelow(random, 4);
      json = `${head},"value":${value},"attributes":{"page":"${page}","session":"${session}","currency":"USD","items":${items}}}`;
    } else if (type === 'page_view') {
      value = Math.round(logNormal(random, 12_000, 1));
      json = `${head},"value":${value},"attributes":{"page":"${page}","session":"${session}","unit":"dwell_ms"}}`;
    } else {
      json = `${head},"attributes":{"page":"${page}","session":"${session}"}}`;
    }
    out.type = type;
    out.key = key;
    out.value = value;
    return json;
  };
}

function iot(random: Random, keys: number, prefix: string): Make {
  // Each device drifts around a baseline of its own; drift is a random walk, spikes are rare.
  const baseline = Array.from({ length: keys }, () => 18 + 8 * random());
  const drift = new Float64Array(keys);
  const devices = new Zipf(keys, 0.3);
  const deviceKeys = Array.from({ length: keys }, (_, i) => `device-${i}`);
  return (index, timeMs, _iso, out) => {
    const device = devices.sample(random);
    drift[device] += 0.05 * normal(random);
    const spike = random() < 0.002 ? 15 * (random() < 0.5 ? -1 : 1) : 0;
    const type = random() < 0.8 ? 'temperature' : 'humidity';
    const reading =
      type === 'temperature'
        ? baseline[device] + drift[device] + 0.3 * normal(random) + spike
        : Math.max(0, Math.min(100, 45 + 4 * drift[device] + 2 * normal(random) + spike));
    const value = round(reading, 3);
    const key = deviceKeys[device];
    out.type = type;
    out.key = key;
    out.value = value;
    return `{"eventId":"${prefix}-${index}","eventTime":${timeMs},"type":"${type}","key":"${key}","value":${value},"attributes":{"firmware":"1.${device % 4}.0","spike":${spike !== 0}}}`;
  };
}

const SERVICES = ['checkout', 'catalog', 'search', 'auth', 'cart', 'payments', 'shipping', 'reviews'];
const ROUTES = ['GET /', 'GET /items/{id}', 'POST /orders', 'GET /health', 'PUT /items/{id}'];

function logs(random: Random, keys: number, prefix: string): Make {
  const routes = Array.from({ length: keys }, (_, i) => ({
    key: safe(
      `${SERVICES[i % SERVICES.length]}:${ROUTES[Math.floor(i / SERVICES.length) % ROUTES.length]}${i >= SERVICES.length * ROUTES.length ? `#${i}` : ''}`,
    ),
    // Some routes are slow, some fast; each has a long right tail.
    medianMs: 5 + 200 * random() ** 3,
    errorRate: random() < 0.15 ? 0.05 : 0.005,
  }));
  const popularity = new Zipf(keys, 1);
  const errors = cumulative([
    [500, 5],
    [502, 1],
    [503, 3],
  ] as const);
  const successes = cumulative([
    [200, 85],
    [201, 6],
    [204, 4],
    [301, 1],
    [404, 4],
  ] as const);
  return (index, timeMs, iso, out) => {
    const route = routes[popularity.sample(random)];
    const failed = random() < route.errorRate;
    const status = failed ? errors(random) : successes(random);
    const value = round(logNormal(random, route.medianMs * (failed ? 3 : 1), 0.6), 1);
    const type = status >= 500 ? 'http_error' : 'http_request';
    out.type = type;
    out.key = route.key;
    out.value = value;
    return `{"eventId":"${prefix}-${index}","eventTime":"${iso(timeMs).slice(0, -1)}+00:00","type":"${type}","key":"${route.key}","value":${value},"attributes":{"status":${status},"unit":"ms"}}`;
  };
}

/** A weighted choice with its cumulative weights computed once. */
function cumulative<T>(choices: readonly (readonly [T, number])[]): (random: Random) => T {
  const total = choices.reduce((s, [, w]) => s + w, 0);
  let running = 0;
  const bounds = choices.map(([, w]) => (running += w / total));
  return (random) => {
    const u = random();
    for (let i = 0; i < bounds.length; i++) if (u < bounds[i]) return choices[i][0];
    return choices[choices.length - 1][0];
  };
}

const NONE: readonly ValidEvent[] = [];

const MAKERS: Record<ScenarioName, (random: Random, keys: number, prefix: string) => Make> = { clickstream, iot, logs };

/** Records that break the contract in the ways real producers do. */
function poison(random: Random, index: number, timeMs: number): GeneratedRecord {
  const key = `poison-${intBelow(random, 16)}`;
  const kinds = [
    () => `{"eventId":"p-${index}","eventTime":${timeMs},"type":"click"`,
    () => JSON.stringify({ eventId: `p-${index}`, eventTime: timeMs, type: 'has space', key }),
    () => JSON.stringify({ eventId: `p-${index}`, eventTime: '2026-02-30T00:00:00Z', type: 'click', key }),
    () => JSON.stringify({ eventId: `p-${index}`, eventTime: timeMs, type: 'click', key, value: 'NaN' }),
    () => JSON.stringify({ eventTime: timeMs, type: 'click', key }),
    () => 'plain text, not JSON',
  ];
  return {
    partitionKey: key,
    data: Buffer.from(kinds[intBelow(random, kinds.length)]()),
    userRecords: 1,
    poison: true,
    valid: NONE,
  };
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
  private isoMs = NaN;
  private isoText = '';
  private readonly scratch: Scratch = { type: '', key: '', value: 0 };

  constructor(private readonly options: GeneratorOptions) {
    this.random = seededRandom(options.seed);
    this.make = MAKERS[options.scenario](this.random, options.keys, `${options.scenario}-${options.seed}`);
  }

  next(): GeneratedRecord {
    const index = this.index++;
    const timeMs = this.options.startMs + Math.floor((index * 1000) / this.options.rate);
    if (this.options.poisonRate > 0 && this.random() < this.options.poisonRate)
      return poison(this.random, index, timeMs);
    const out = this.scratch;
    const json = this.make(index, timeMs, this.iso, out);
    const valid =
      this.options.keepValid === true
        ? [{ type: out.type, key: out.key, value: out.value, eventTimeMs: timeMs }]
        : NONE;
    // Every generated string is ASCII, where latin1 and UTF-8 are the same bytes and latin1 is the faster copy.
    return { partitionKey: out.key, data: Buffer.from(json, 'latin1'), userRecords: 1, poison: false, valid };
  }

  // Consecutive events mostly share a millisecond, and toISOString is not free.
  private readonly iso = (timeMs: number): string => {
    if (timeMs !== this.isoMs) {
      this.isoMs = timeMs;
      this.isoText = new Date(timeMs).toISOString();
    }
    return this.isoText;
  };
}
