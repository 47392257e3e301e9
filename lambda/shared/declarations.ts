import { TYPE_PATTERN } from './event-schema';

/**
 * Declared aggregates (v2): what to aggregate, read from `aggregates.json` by the stack, the
 * aggregator, local mode, the dashboard and the CLIs, and validated here only. A mistake is
 * reported with its JSON path (`aggregates[2].measures.p.of: ...`), never as a stack trace.
 */

export const MEASURE_OPS = ['count', 'sum', 'min', 'max', 'avg', 'distinct', 'quantiles', 'topK'] as const;
export type MeasureOp = (typeof MEASURE_OPS)[number];
/** Measures kept exactly, as plain numbers, with additive updates. */
export const EXACT_OPS: readonly MeasureOp[] = ['count', 'sum', 'min', 'max', 'avg'];
export const SKETCH_OPS: readonly MeasureOp[] = ['distinct', 'quantiles', 'topK'];

/** `type`, `key`, `value` or `attributes.<name>`. */
export type FieldRef = string;

export interface MeasureDeclaration {
  readonly op: MeasureOp;
  /** The measured field; absent for `count`. */
  readonly of?: FieldRef;
  /** `quantiles`: the sketch's relative accuracy. */
  readonly relativeAccuracy?: number;
  /** `topK`: how many values are listed. */
  readonly k?: number;
}

export interface AggregateDeclaration {
  readonly name: string;
  /** Event types, or `['*']` for all. */
  readonly types: readonly string[];
  readonly groupBy: readonly FieldRef[];
  /** Window sizes as declared (`1m`), in the file's order. */
  readonly windows: readonly string[];
  /** The same sizes in seconds. */
  readonly windowSeconds: readonly number[];
  /** As declared; undefined means the table's TTL. */
  readonly allowedLateness?: string;
  readonly allowedLatenessSeconds?: number;
  readonly measures: Readonly<Record<string, MeasureDeclaration>>;
}

export interface Declarations {
  readonly version: 2;
  readonly aggregates: readonly AggregateDeclaration[];
}

export const DEFAULT_AGGREGATES_FILE = 'aggregates.json';
/** The v1 aggregate: the dashboard's v1 calls and the load generator's v1 expect file read it. */
export const BY_KEY = 'by_key';
export const DEFAULT_RELATIVE_ACCURACY = 0.01;
export const DEFAULT_TOP_K = 10;

export const LIMITS = {
  aggregates: 32,
  groupBy: 3,
  windows: 4,
  measures: 16,
  minWindowSeconds: 10,
  maxK: 100,
  /** DDSketch at 0.1 % keeps thousands of bins per decade; coarser than 10 % is hardly a quantile. */
  minRelativeAccuracy: 0.001,
  maxRelativeAccuracy: 0.1,
} as const;

export const NAME_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;
export const ATTRIBUTE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const DURATION = /^([1-9]\d{0,5})(s|m|h|d)$/;
const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/**
 * Attribute names a stored item uses besides its measures and group fields; a measure may not take
 * one of them. Group fields are stored under their own names (`type`, `key`, `attributes.page`).
 */
export const RESERVED_ITEM_ATTRIBUTES = ['pk', 'sk', 'aggregate', 'window', 'windowStart', 'expiresAt', 'version'];

export class DeclarationError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'DeclarationError';
  }
}

/** Seconds of a duration such as `90s`, `5m`, `1h`, `2d`; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  return m === null ? undefined : Number(m[1]) * UNIT_SECONDS[m[2]];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKeys(path: string, value: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new DeclarationError(`${path}.${key}`, `unknown property; expected one of ${allowed.join(', ')}`);
    }
  }
}

function isFieldRef(text: string, allowValue: boolean): boolean {
  if (text === 'type' || text === 'key' || (allowValue && text === 'value')) return true;
  return text.startsWith('attributes.') && ATTRIBUTE_NAME_PATTERN.test(text.slice('attributes.'.length));
}

function stringArray(path: string, value: unknown, min: number, max: number): string[] {
  if (!Array.isArray(value) || value.length < min || value.length > max) {
    throw new DeclarationError(path, `must be an array of ${min} to ${max} strings`);
  }
  value.forEach((v, i) => {
    if (typeof v !== 'string') throw new DeclarationError(`${path}[${i}]`, 'must be a string');
  });
  const seen = new Set<string>();
  (value as string[]).forEach((v, i) => {
    if (seen.has(v)) throw new DeclarationError(`${path}[${i}]`, `"${v}" is listed twice`);
    seen.add(v);
  });
  return value as string[];
}

function parseWindow(path: string, text: string): number {
  const seconds = parseDuration(text);
  if (seconds === undefined) {
    throw new DeclarationError(path, `"${text}" is not a window size; write Ns, Nm, Nh or 1d, e.g. "1m"`);
  }
  if (text.endsWith('d') && text !== '1d') throw new DeclarationError(path, 'the longest window is 1d');
  if (seconds < LIMITS.minWindowSeconds) {
    throw new DeclarationError(path, `"${text}" is shorter than ${LIMITS.minWindowSeconds}s`);
  }
  if (86_400 % seconds !== 0) {
    throw new DeclarationError(path, `"${text}" does not divide a day, so its windows would not align to UTC days`);
  }
  return seconds;
}

function parseMeasure(path: string, raw: unknown, groupBy: readonly string[]): MeasureDeclaration {
  if (!isPlainObject(raw)) throw new DeclarationError(path, 'must be an object such as {"op": "count"}');
  const op = raw.op;
  if (typeof op !== 'string' || !(MEASURE_OPS as readonly string[]).includes(op)) {
    throw new DeclarationError(`${path}.op`, `must be one of ${MEASURE_OPS.join(', ')}`);
  }
  const measureOp = op as MeasureOp;
  const allowed = ['op'];
  if (measureOp !== 'count') allowed.push('of');
  if (measureOp === 'quantiles') allowed.push('relativeAccuracy');
  if (measureOp === 'topK') allowed.push('k');
  onlyKeys(path, raw, allowed);

  if (measureOp === 'count') return { op: 'count' };
  const of = raw.of;
  const numeric = measureOp !== 'distinct' && measureOp !== 'topK';
  if (typeof of !== 'string') {
    throw new DeclarationError(
      `${path}.of`,
      numeric ? 'required: value or attributes.<name>' : 'required: type, key, value or attributes.<name>',
    );
  }
  if (numeric ? !(of === 'value' || isFieldRef(of, false)) || of === 'type' || of === 'key' : !isFieldRef(of, true)) {
    throw new DeclarationError(
      `${path}.of`,
      numeric
        ? `"${of}": ${measureOp} needs a number: value or attributes.<name>`
        : `"${of}" is not a field: type, key, value or attributes.<name> (name ${ATTRIBUTE_NAME_PATTERN.source})`,
    );
  }
  if (!numeric && groupBy.includes(of)) {
    throw new DeclarationError(`${path}.of`, `"${of}" is a groupBy field, so every group holds one value of it`);
  }
  if (measureOp === 'quantiles') {
    const accuracy = raw.relativeAccuracy === undefined ? DEFAULT_RELATIVE_ACCURACY : raw.relativeAccuracy;
    if (
      typeof accuracy !== 'number' ||
      !(accuracy >= LIMITS.minRelativeAccuracy && accuracy <= LIMITS.maxRelativeAccuracy)
    ) {
      throw new DeclarationError(
        `${path}.relativeAccuracy`,
        `must be a number from ${LIMITS.minRelativeAccuracy} to ${LIMITS.maxRelativeAccuracy}`,
      );
    }
    return { op: measureOp, of, relativeAccuracy: accuracy };
  }
  if (measureOp === 'topK') {
    const k = raw.k === undefined ? DEFAULT_TOP_K : raw.k;
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > LIMITS.maxK) {
      throw new DeclarationError(`${path}.k`, `must be an integer from 1 to ${LIMITS.maxK}`);
    }
    return { op: measureOp, of, k };
  }
  return { op: measureOp, of };
}

function parseAggregate(path: string, raw: unknown): AggregateDeclaration {
  if (!isPlainObject(raw)) throw new DeclarationError(path, 'must be an object');
  onlyKeys(path, raw, ['name', 'types', 'groupBy', 'windows', 'allowedLateness', 'measures']);

  const name = raw.name;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new DeclarationError(`${path}.name`, `required, must match ${NAME_PATTERN.source}`);
  }
  const types = stringArray(`${path}.types`, raw.types, 1, 100);
  if (types.includes('*') && types.length > 1) {
    throw new DeclarationError(`${path}.types`, '"*" means every type and stands alone');
  }
  types.forEach((t, i) => {
    if (t !== '*' && !TYPE_PATTERN.test(t)) {
      throw new DeclarationError(`${path}.types[${i}]`, `"${t}" is not an event type (${TYPE_PATTERN.source})`);
    }
  });
  const groupBy = stringArray(`${path}.groupBy`, raw.groupBy === undefined ? [] : raw.groupBy, 0, LIMITS.groupBy);
  groupBy.forEach((g, i) => {
    if (!isFieldRef(g, false)) {
      throw new DeclarationError(
        `${path}.groupBy[${i}]`,
        `"${g}" cannot be grouped by: type, key or attributes.<name> (name ${ATTRIBUTE_NAME_PATTERN.source})`,
      );
    }
  });
  const windows = stringArray(`${path}.windows`, raw.windows, 1, LIMITS.windows);
  const windowSeconds = windows.map((w, i) => parseWindow(`${path}.windows[${i}]`, w));
  const seconds = new Set<number>();
  windowSeconds.forEach((s, i) => {
    if (seconds.has(s)) throw new DeclarationError(`${path}.windows[${i}]`, `"${windows[i]}" repeats another size`);
    seconds.add(s);
  });

  let allowedLatenessSeconds: number | undefined;
  const lateness = raw.allowedLateness;
  if (lateness !== undefined) {
    allowedLatenessSeconds =
      typeof lateness === 'string' ? (lateness === '0s' ? 0 : parseDuration(lateness)) : undefined;
    if (allowedLatenessSeconds === undefined) {
      throw new DeclarationError(`${path}.allowedLateness`, 'must be a duration such as "0s", "10m", "1h" or "7d"');
    }
  }

  const rawMeasures = raw.measures;
  if (!isPlainObject(rawMeasures)) {
    throw new DeclarationError(
      `${path}.measures`,
      'required: an object of named measures, e.g. {"n": {"op": "count"}}',
    );
  }
  const names = Object.keys(rawMeasures);
  if (names.length < 1 || names.length > LIMITS.measures) {
    throw new DeclarationError(`${path}.measures`, `must hold 1 to ${LIMITS.measures} measures`);
  }
  const measures: Record<string, MeasureDeclaration> = {};
  for (const measureName of names) {
    const measurePath = `${path}.measures.${measureName}`;
    if (!NAME_PATTERN.test(measureName)) {
      throw new DeclarationError(measurePath, `measure names must match ${NAME_PATTERN.source}`);
    }
    if (RESERVED_ITEM_ATTRIBUTES.includes(measureName) || groupBy.includes(measureName)) {
      throw new DeclarationError(measurePath, `"${measureName}" is taken by the stored item; choose another name`);
    }
    measures[measureName] = parseMeasure(measurePath, rawMeasures[measureName], groupBy);
  }

  return {
    name,
    types,
    groupBy,
    windows,
    windowSeconds,
    ...(lateness === undefined ? {} : { allowedLateness: lateness as string, allowedLatenessSeconds }),
    measures,
  };
}

/** Validates parsed JSON; throws a DeclarationError naming the JSON path at fault. */
export function parseDeclarations(raw: unknown): Declarations {
  if (!isPlainObject(raw))
    throw new DeclarationError('(root)', 'must be an object {"version": 2, "aggregates": [...]}');
  onlyKeys('(root)', raw, ['$schema', 'version', 'aggregates']);
  if (raw.version !== 2) throw new DeclarationError('version', 'must be 2');
  const list = raw.aggregates;
  if (!Array.isArray(list) || list.length < 1 || list.length > LIMITS.aggregates) {
    throw new DeclarationError('aggregates', `must be an array of 1 to ${LIMITS.aggregates} declarations`);
  }
  const aggregates = list.map((a, i) => parseAggregate(`aggregates[${i}]`, a));
  const names = new Set<string>();
  aggregates.forEach((a, i) => {
    if (names.has(a.name)) throw new DeclarationError(`aggregates[${i}].name`, `"${a.name}" is declared twice`);
    names.add(a.name);
  });
  return { version: 2, aggregates };
}

/** Parses the file's text; a JSON syntax error is reported with the file's name, not thrown raw. */
export function parseDeclarationsText(text: string, source: string): Declarations {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new DeclarationError(source, `not valid JSON: ${(error as Error).message}`);
  }
  try {
    return parseDeclarations(raw);
  } catch (error) {
    if (error instanceof DeclarationError)
      throw new DeclarationError(`${source}: ${error.path}`, error.message.slice(error.path.length + 2));
    throw error;
  }
}

/** The declarations as the file states them, without the derived fields: for the API and bundling. */
export function toJson(declarations: Declarations): unknown {
  return {
    version: 2,
    aggregates: declarations.aggregates.map((a) => ({
      name: a.name,
      types: a.types,
      groupBy: a.groupBy,
      windows: a.windows,
      ...(a.allowedLateness === undefined ? {} : { allowedLateness: a.allowedLateness }),
      measures: a.measures,
    })),
  };
}

export function findAggregate(declarations: Declarations, name: string): AggregateDeclaration | undefined {
  return declarations.aggregates.find((a) => a.name === name);
}

/** Whether an aggregate keeps any sketch, so its items are read and rewritten rather than added to. */
export function hasSketches(aggregate: AggregateDeclaration): boolean {
  return Object.values(aggregate.measures).some((m) => SKETCH_OPS.includes(m.op));
}

/**
 * Whether every item of the aggregate is written by one partition key: the event `key` is among its
 * groups. Only such items keep exactly-once under a parallelization factor above 1 (see config.ts).
 */
export function isKeyed(aggregate: AggregateDeclaration): boolean {
  return aggregate.groupBy.includes('key');
}
