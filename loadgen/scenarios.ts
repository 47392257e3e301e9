import type { ValidEvent } from '../lambda/shared/event-schema';
import { type Random, Zipf, intBelow, logNormal, normal, seededRandom } from './random';

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
  /** The event's attributes as written into its JSON; made only when valid events are kept. */
  attributes: Readonly<Record<string, unknown>> | undefined;
}

/** A string to embed in event JSON: plain ASCII that needs no escaping. */
function safe(text: string): string {
  if (JSON.stringify(text) !== `"${text}"` || !/^[\x20-\x7e]*$/.test(text)) {
    throw new Error(`generator string is not plain ASCII: ${text}`);
  }
  return text;
}

/** Bytes of a fragment of event JSON (whose embedded strings went through `safe`). */
function ascii(fragment: string): Uint8Array {
  if (!/^[\x20-\x7e]*$/.test(fragment)) throw new Error(`generator fragment is not plain ASCII: ${fragment}`);
  return Buffer.from(fragment, 'latin1');
}

/** Slab size: a few hundred events share one allocation. */
const SLAB_BYTES = 64 * 1024;
/** Room kept for one event: generated events are a few hundred bytes at most. */
const EVENT_ROOM = 4 * 1024;

/**
 * Writes event JSON straight into bytes: building it as a string and encoding the string costs
 * several times more than the rest of the generator together. Events are appended to a slab, and
 * each record's data is a view of its part; the views keep their slab alive while they are in
 * flight, and a full slab is left to them (never reused), so a record's bytes never change.
 */
class JsonWriter {
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  private pos = 0;
  private start = 0;

  begin(): void {
    if (this.pos + EVENT_ROOM > SLAB_BYTES) {
      this.slab = Buffer.allocUnsafe(SLAB_BYTES);
      this.pos = 0;
    }
    this.start = this.pos;
  }

  end(): Buffer {
    // Typed arrays drop writes past their end silently: make an oversized event loud instead.
    if (this.pos > SLAB_BYTES) throw new Error('generated event larger than its room');
    return Buffer.from(this.slab.buffer, this.slab.byteOffset + this.start, this.pos - this.start);
  }

  bytes(b: Uint8Array): void {
    // TypedArray.set copies faster than a loop from a few bytes on.
    this.slab.set(b, this.pos);
    this.pos += b.length;
  }

  byte(b: number): void {
    this.slab[this.pos++] = b;
  }

  /** A string known to be ASCII (checked where it is made, or made of numbers and ASCII names). */
  text(s: string): void {
    const slab = this.slab;
    let pos = this.pos;
    for (let i = 0; i < s.length; i++) slab[pos++] = s.charCodeAt(i);
    this.pos = pos;
  }

  /** An integer, as JSON (and JavaScript) write it. */
  int(n: number): void {
    if (n < 0) {
      this.slab[this.pos++] = 0x2d;
      n = -n;
    }
    if (!(n < 1e15)) {
      this.text(String(n));
      return;
    }
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    const slab = this.slab;
    let pos = this.pos + digits;
    this.pos = pos;
    if (n < 0x40000000) {
      // Small integers: integer arithmetic.
      let m = n | 0;
      do {
        const q = (m / 10) | 0;
        slab[--pos] = 0x30 + m - q * 10;
        m = q;
      } while (m > 0);
      return;
    }
    do {
      const q = Math.floor(n / 10);
      slab[--pos] = 0x30 + n - q * 10;
      n = q;
    } while (n > 0);
  }

  /**
   * `units / 10^decimals` as JavaScript prints it, for an integer `units`: the shortest decimal that
   * reads back as the same double is that very quotient, so its digits are those of `units` with a
   * point, trailing zeros dropped (`round()` values print so).
   */
  decimal(units: number, decimals: number, scale: number): void {
    if (units < 0) {
      this.slab[this.pos++] = 0x2d;
      units = -units;
    }
    const whole = Math.floor(units / scale);
    let fraction = units - whole * scale;
    this.int(whole);
    if (fraction === 0) return;
    let width = decimals;
    while (fraction % 10 === 0) {
      fraction /= 10;
      width--;
    }
    const slab = this.slab;
    slab[this.pos++] = 0x2e;
    let pos = this.pos + width;
    this.pos = pos;
    for (let i = 0; i < width; i++) {
      const q = Math.floor(fraction / 10);
      slab[--pos] = 0x30 + fraction - q * 10;
      fraction = q;
    }
  }
}

/**
 * Writes a fragment and then an event time as ISO-8601 without its zone ("2026-11-23T09:44:05.123"):
 * the fragment and the time up to the second are made into bytes once a second (toISOString is not
 * free), the milliseconds per event.
 */
class IsoClock {
  private second = NaN;
  private prefix: Uint8Array = new Uint8Array(0);

  constructor(private readonly lead: string) {
    ascii(lead);
  }

  write(w: JsonWriter, timeMs: number): void {
    const second = Math.floor(timeMs / 1000);
    if (second !== this.second) {
      this.second = second;
      // "2026-11-23T09:44:05." from "2026-11-23T09:44:05.000Z" (years past 9999 have a longer prefix).
      this.prefix = Buffer.from(this.lead + new Date(second * 1000).toISOString().slice(0, -4), 'latin1');
    }
    w.bytes(this.prefix);
    const ms = timeMs - second * 1000;
    const hundreds = Math.floor(ms / 100);
    const tens = Math.floor(ms / 10) - hundreds * 10;
    w.byte(0x30 + hundreds);
    w.byte(0x30 + tens);
    w.byte(0x30 + (ms - hundreds * 100 - tens * 10));
  }
}

/**
 * Each scenario writes its event JSON by hand, from fragments made once. Every string it embeds is
 * made from safe characters (checked by `ascii`), so no escaping is needed; the tests parse every
 * record and check it against the contract. Random draws happen in a fixed order per event, so a
 * seed always gives the same events.
 */
type Make = (index: number, timeMs: number, w: JsonWriter, out: Scratch) => void;

/**
 * What a scenario is made from. With `keep` the maker also sets `out.attributes` to the attributes
 * it writes (same values, same types, same order), for --expect; without it, it allocates nothing.
 */
type Maker = (random: Random, keys: number, prefix: string, keep: boolean) => Make;

/**
 * Indices 0..n-1 drawn with the given weights, one uniform draw each: the inverted CDF and guide
 * table of `Zipf`, for any weights (a head of named values and a long tail, say).
 */
class Weighted {
  readonly n: number;
  private readonly cdf: Float64Array;
  private readonly guide: Uint32Array;

  constructor(weights: readonly number[]) {
    const n = (this.n = weights.length);
    const total = weights.reduce((a, b) => a + b, 0);
    this.cdf = new Float64Array(n);
    let running = 0;
    for (let i = 0; i < n; i++) this.cdf[i] = running += weights[i] / total;
    this.guide = new Uint32Array(n);
    let index = 0;
    for (let j = 0; j < n; j++) {
      while (index < n - 1 && this.cdf[index] < j / n) index++;
      this.guide[j] = index;
    }
  }

  sample(random: Random): number {
    const u = random();
    let index = this.guide[Math.floor(u * this.n)];
    const last = this.n - 1;
    while (index < last && this.cdf[index] < u) index++;
    return index;
  }
}

/** AWS regions the traffic comes from, us-east-1 the most: clickstream and logs draw one per event. */
const REGIONS = [
  ['us-east-1', 40],
  ['us-west-2', 20],
  ['eu-west-1', 15],
  ['eu-central-1', 10],
  ['ap-southeast-1', 8],
  ['ap-northeast-1', 7],
] as const;
const REGION_NAMES = REGIONS.map(([name]) => safe(name));
const regionWeights = (): Weighted => new Weighted(REGIONS.map(([, weight]) => weight));

/**
 * Referrer hosts, most frequent first: Zipf-like (exponent 1.2) over these for 90 % of page loads, so
 * a top 10 holds about three quarters of them; the other 10 % spread over a long tail of
 * `site-N.example` (exponent 0.8), whose first ones rank among the named hosts' last, so a top-K
 * sketch is not trivially exact.
 */
const REFERRER_HOSTS = [
  'google.com',
  '(direct)',
  'facebook.com',
  't.co',
  'bing.com',
  'news.ycombinator.com',
  'reddit.com',
  'linkedin.com',
  'duckduckgo.com',
  'instagram.com',
  'youtube.com',
  'yahoo.com',
  'github.com',
  'medium.com',
  'stackoverflow.com',
  'pinterest.com',
  'baidu.com',
  'yandex.ru',
  'ecosia.org',
  'wikipedia.org',
  'substack.com',
  'producthunt.com',
  'quora.com',
  'tiktok.com',
  'lnkd.in',
];
const REFERRER_TAIL = 500;
/** Referrer i: a named host, or past them `site-N.example`. */
const referrerName = (i: number): string =>
  i < REFERRER_HOSTS.length ? REFERRER_HOSTS[i] : `site-${i - REFERRER_HOSTS.length}.example`;
const referrerWeights = (): Weighted => {
  const head = REFERRER_HOSTS.map((_, k) => 1 / (k + 1) ** 1.2);
  const tail = Array.from({ length: REFERRER_TAIL }, (_, k) => 1 / (k + 1) ** 0.8);
  const headTotal = head.reduce((a, b) => a + b, 0);
  const tailTotal = tail.reduce((a, b) => a + b, 0);
  return new Weighted([...head.map((w) => (0.9 * w) / headTotal), ...tail.map((w) => (0.1 * w) / tailTotal)]);
};

/** Values rounded to `decimals` places: the number, and its digits written by the writer. */
function rounded(value: number, decimals: number, w: JsonWriter): number {
  const scale = 10 ** decimals;
  const units = Math.round(value * scale);
  // Exactly round(value, decimals); beyond 15 digits let JavaScript print it.
  if (Math.abs(units) < 1e15) w.decimal(units, decimals, scale);
  else w.text(String(units / scale));
  return units / scale;
}

/** Page load time: lognormal around 180 ms with a long right tail, whole milliseconds, 1..60,000. */
const LATENCY_MEDIAN_MS = 180;
const LATENCY_SIGMA = 1;
const LATENCY_CAP_MS = 60_000;

// Acklam's rational approximation of the standard normal quantile (relative error below 1.2e-9).
const NQ_A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
];
const NQ_B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const NQ_C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const NQ_D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
const NQ_LOW = 0.02425;

/**
 * A standard normal draw from one uniform draw, by inverting its CDF: 95 % of draws cost a rational
 * function and no logarithm or cosine (Box-Muller costs both, and two draws).
 */
function normalByQuantile(random: Random): number {
  // In (0, 1): random() is k / 2^32 with k < 2^32.
  const p = random() + 2 ** -33;
  if (p < NQ_LOW || p > 1 - NQ_LOW) {
    const q = Math.sqrt(-2 * Math.log(p < NQ_LOW ? p : 1 - p));
    const x =
      (((((NQ_C[0] * q + NQ_C[1]) * q + NQ_C[2]) * q + NQ_C[3]) * q + NQ_C[4]) * q + NQ_C[5]) /
      ((((NQ_D[0] * q + NQ_D[1]) * q + NQ_D[2]) * q + NQ_D[3]) * q + 1);
    return p < NQ_LOW ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((NQ_A[0] * r + NQ_A[1]) * r + NQ_A[2]) * r + NQ_A[3]) * r + NQ_A[4]) * r + NQ_A[5]) * q) /
    (((((NQ_B[0] * r + NQ_B[1]) * r + NQ_B[2]) * r + NQ_B[3]) * r + NQ_B[4]) * r + 1)
  );
}

function clickstream(random: Random, keys: number, prefix: string, keep: boolean): Make {
  const users = new Zipf(keys, 0.9);
  const pages = new Zipf(500, 1.2);
  const referrers = referrerWeights();
  const regions = regionWeights();
  // Bytes made once, not per event: the generator's cost is mostly making bytes.
  const keyNames = Array.from({ length: keys }, (_, i) => `user-${i}`);
  const keyBytes = keyNames.map((k) => ascii(`"${safe(k)}"`));
  const keyValueBytes = keyNames.map((k) => ascii(`"${safe(k)}","value":`));
  const pageNames = Array.from({ length: 500 }, (_, i) => safe(`/p/${i}`));
  const pageBytes = pageNames.map((p) => ascii(`,"attributes":{"page":"${p}","session":"s-`));
  // Named hosts from a small table; the tail's as digits, not from a table of 500 that would miss the cache.
  const hostBytes = REFERRER_HOSTS.map((r) => ascii(`","referrer":"${safe(r)}","latencyMs":`));
  const siteBytes = ascii('","referrer":"site-');
  const siteEndBytes = ascii('.example","latencyMs":');
  // The region and what follows it, per type: one copy.
  const type = (name: string, withValue: boolean, tail: string) => ({
    name,
    bytes: ascii(`Z","type":"${safe(name)}","key":`),
    keys: withValue ? keyValueBytes : keyBytes,
    tails: REGION_NAMES.map((r) => ascii(`,"region":"${r}"${tail}`)),
  });
  const types = cumulative([
    [type('page_view', true, ',"unit":"dwell_ms"}}'), 70],
    [type('click', false, '}}'), 22],
    [type('add_to_cart', false, '}}'), 6],
    [type('purchase', true, ',"currency":"USD","items":'), 2],
  ] as const);
  const idBytes = ascii(`{"eventId":"${safe(prefix)}-`);
  const clock = new IsoClock('","eventTime":"');
  const close = ascii('}}');
  return (index, timeMs, w, out) => {
    const user = users.sample(random);
    const t = types(random);
    const page = pages.sample(random);
    const referrer = referrers.sample(random);
    const region = regions.sample(random);
    const latencyMs = Math.max(
      1,
      Math.min(LATENCY_CAP_MS, Math.round(LATENCY_MEDIAN_MS * Math.exp(LATENCY_SIGMA * normalByQuantile(random)))),
    );
    w.bytes(idBytes);
    w.int(index);
    clock.write(w, timeMs);
    w.bytes(t.bytes);
    w.bytes(t.keys[user]);
    let value = 1;
    if (t.name === 'purchase') {
      value = rounded(Math.min(5_000, logNormal(random, 35, 0.9)), 2, w);
    } else if (t.name === 'page_view') {
      value = Math.round(logNormal(random, 12_000, 1));
      w.int(value);
    }
    w.bytes(pageBytes[page]);
    // A session is a user's half hour: stable per user and time, so replays keep it.
    const halfHour = Math.floor(timeMs / 1_800_000);
    w.int(user);
    w.byte(0x2d);
    w.int(halfHour);
    if (referrer < hostBytes.length) w.bytes(hostBytes[referrer]);
    else {
      w.bytes(siteBytes);
      w.int(referrer - hostBytes.length);
      w.bytes(siteEndBytes);
    }
    w.int(latencyMs);
    w.bytes(t.tails[region]);
    let items = 0;
    if (t.name === 'purchase') {
      items = 1 + intBelow(random, 4);
      w.int(items);
      w.bytes(close);
    }
    out.type = t.name;
    out.key = keyNames[user];
    out.value = value;
    if (keep) {
      const attributes: Record<string, unknown> = {
        page: pageNames[page],
        session: `s-${user}-${halfHour}`,
        referrer: referrerName(referrer),
        latencyMs,
        region: REGION_NAMES[region],
      };
      if (t.name === 'page_view') attributes.unit = 'dwell_ms';
      else if (t.name === 'purchase') {
        attributes.currency = 'USD';
        attributes.items = items;
      }
      out.attributes = attributes;
    }
  };
}

function iot(random: Random, keys: number, prefix: string, keep: boolean): Make {
  // Each device drifts around a baseline of its own; drift is a random walk, spikes are rare.
  const baseline = Array.from({ length: keys }, () => 18 + 8 * random());
  // Each device sits in a region of its own, drawn once with the regions' weights.
  const regions = regionWeights();
  const deviceRegion = Array.from({ length: keys }, () => REGION_NAMES[regions.sample(random)]);
  const firmware = Array.from({ length: keys }, (_, device) => safe(`1.${device % 4}.0`));
  const drift = new Float64Array(keys);
  const devices = new Zipf(keys, 0.3);
  const keyNames = Array.from({ length: keys }, (_, i) => `device-${i}`);
  const idBytes = ascii(`{"eventId":"${safe(prefix)}-`);
  const timeBytes = ascii('","eventTime":');
  const typeBytes = {
    temperature: ascii(',"type":"temperature","key":'),
    humidity: ascii(',"type":"humidity","key":'),
  };
  const keyBytes = keyNames.map((k) => ascii(`"${safe(k)}","value":`));
  const attributeBytes = Array.from({ length: keys }, (_, device) =>
    ascii(`,"attributes":{"firmware":"${firmware[device]}","region":"${deviceRegion[device]}","spike":`),
  );
  const spikeBytes = ascii('true}}');
  const steadyBytes = ascii('false}}');
  return (index, timeMs, w, out) => {
    const device = devices.sample(random);
    drift[device] += 0.05 * normal(random);
    const spike = random() < 0.002 ? 15 * (random() < 0.5 ? -1 : 1) : 0;
    const type = random() < 0.8 ? 'temperature' : 'humidity';
    const reading =
      type === 'temperature'
        ? baseline[device] + drift[device] + 0.3 * normal(random) + spike
        : Math.max(0, Math.min(100, 45 + 4 * drift[device] + 2 * normal(random) + spike));
    w.bytes(idBytes);
    w.int(index);
    w.bytes(timeBytes);
    w.int(timeMs);
    w.bytes(typeBytes[type]);
    w.bytes(keyBytes[device]);
    const value = rounded(reading, 3, w);
    w.bytes(attributeBytes[device]);
    w.bytes(spike !== 0 ? spikeBytes : steadyBytes);
    out.type = type;
    out.key = keyNames[device];
    out.value = value;
    if (keep) out.attributes = { firmware: firmware[device], region: deviceRegion[device], spike: spike !== 0 };
  };
}

const SERVICES = ['checkout', 'catalog', 'search', 'auth', 'cart', 'payments', 'shipping', 'reviews'];
const ROUTES = ['GET /', 'GET /items/{id}', 'POST /orders', 'GET /health', 'PUT /items/{id}'];

/** Users behind the requests: Zipf over this many, so "distinct users per route" has something to count. */
const LOG_USERS = 5_000;

function logs(random: Random, keys: number, prefix: string, keep: boolean): Make {
  const routes = Array.from({ length: keys }, (_, i) => {
    const key = `${SERVICES[i % SERVICES.length]}:${ROUTES[Math.floor(i / SERVICES.length) % ROUTES.length]}${i >= SERVICES.length * ROUTES.length ? `#${i}` : ''}`;
    return {
      key,
      bytes: ascii(`"${safe(key)}","value":`),
      // Some routes are slow, some fast; each has a long right tail.
      medianMs: 5 + 200 * random() ** 3,
      errorRate: random() < 0.15 ? 0.05 : 0.005,
    };
  });
  const popularity = new Zipf(keys, 1);
  // A status and the rest of the event after it, made once.
  const status = (code: number) => ({ code, bytes: ascii(`","status":${code},"unit":"ms"}}`) });
  const errors = cumulative([
    [status(500), 5],
    [status(502), 1],
    [status(503), 3],
  ] as const);
  const successes = cumulative([
    [status(200), 85],
    [status(201), 6],
    [status(204), 4],
    [status(301), 1],
    [status(404), 4],
  ] as const);
  const idBytes = ascii(`{"eventId":"${safe(prefix)}-`);
  const clock = new IsoClock('","eventTime":"');
  const typeBytes = {
    http_error: ascii('+00:00","type":"http_error","key":'),
    http_request: ascii('+00:00","type":"http_request","key":'),
  };
  const regions = regionWeights();
  // Users are written as digits, not looked up: a table of 5,000 fragments would miss the cache.
  const regionBytes = REGION_NAMES.map((r) => ascii(`,"attributes":{"region":"${r}","user":"u-`));
  const users = new Zipf(LOG_USERS, 0.9);
  return (index, timeMs, w, out) => {
    const route = routes[popularity.sample(random)];
    const failed = random() < route.errorRate;
    const status = failed ? errors(random) : successes(random);
    const type = status.code >= 500 ? 'http_error' : 'http_request';
    const region = regions.sample(random);
    const user = users.sample(random);
    w.bytes(idBytes);
    w.int(index);
    clock.write(w, timeMs);
    w.bytes(typeBytes[type]);
    w.bytes(route.bytes);
    const value = rounded(logNormal(random, route.medianMs * (failed ? 3 : 1), 0.6), 1, w);
    w.bytes(regionBytes[region]);
    w.int(user);
    w.bytes(status.bytes);
    out.type = type;
    out.key = route.key;
    out.value = value;
    if (keep) out.attributes = { region: REGION_NAMES[region], user: `u-${user}`, status: status.code, unit: 'ms' };
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

const MAKERS: Record<ScenarioName, Maker> = { clickstream, iot, logs };

/** Records that break the contract in the ways real producers do; returns the partition key. */
function poison(random: Random, index: number, timeMs: number, w: JsonWriter): string {
  const key = `poison-${intBelow(random, 16)}`;
  const kinds = [
    () => `{"eventId":"p-${index}","eventTime":${timeMs},"type":"click"`,
    () => JSON.stringify({ eventId: `p-${index}`, eventTime: timeMs, type: 'has space', key }),
    () => JSON.stringify({ eventId: `p-${index}`, eventTime: '2026-02-30T00:00:00Z', type: 'click', key }),
    () => JSON.stringify({ eventId: `p-${index}`, eventTime: timeMs, type: 'click', key, value: 'NaN' }),
    () => JSON.stringify({ eventTime: timeMs, type: 'click', key }),
    () => 'plain text, not JSON',
  ];
  // Plain ASCII: the values above are numbers and ASCII names.
  w.text(kinds[intBelow(random, kinds.length)]());
  return key;
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
  private readonly writer = new JsonWriter();
  private readonly scratch: Scratch = { type: '', key: '', value: 0, attributes: undefined };

  constructor(private readonly options: GeneratorOptions) {
    this.random = seededRandom(options.seed);
    this.make = MAKERS[options.scenario](
      this.random,
      options.keys,
      `${options.scenario}-${options.seed}`,
      options.keepValid === true,
    );
  }

  next(): GeneratedRecord {
    const index = this.index++;
    const timeMs = this.options.startMs + Math.floor((index * 1000) / this.options.rate);
    const w = this.writer;
    w.begin();
    if (this.options.poisonRate > 0 && this.random() < this.options.poisonRate) {
      const key = poison(this.random, index, timeMs, w);
      return { partitionKey: key, data: w.end(), userRecords: 1, poison: true, valid: NONE };
    }
    const out = this.scratch;
    this.make(index, timeMs, w, out);
    let valid: readonly ValidEvent[] = NONE;
    if (this.options.keepValid === true) {
      const { type, key, value, attributes } = out;
      valid = [
        attributes === undefined
          ? { type, key, value, eventTimeMs: timeMs }
          : { type, key, value, eventTimeMs: timeMs, attributes },
      ];
      out.attributes = undefined;
    }
    return { partitionKey: out.key, data: w.end(), userRecords: 1, poison: false, valid };
  }
}
