import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ATTRIBUTE_NAME_PATTERN,
  BY_KEY,
  DEFAULT_RELATIVE_ACCURACY,
  DEFAULT_TOP_K,
  DeclarationError,
  EXACT_OPS,
  LIMITS,
  MEASURE_OPS,
  NAME_PATTERN,
  SKETCH_OPS,
  findAggregate,
  hasSketches,
  isKeyed,
  parseDeclarations,
  parseDeclarationsText,
  parseDuration,
  toJson,
} from '../../../lambda/shared/declarations';
import { PROJECT_AGGREGATES_FILE, loadDeclarationsFile } from '../../../lambda/shared/declarations-file';
import { TYPE_PATTERN } from '../../../lambda/shared/event-schema';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests mutate arbitrary JSON
type Json = any;

/** A valid file; each mistake below is one change to it. */
function valid(): Json {
  return {
    version: 2,
    aggregates: [
      {
        name: 'first',
        types: ['*'],
        groupBy: ['type', 'key'],
        windows: ['1m'],
        measures: { n: { op: 'count' }, s: { op: 'sum', of: 'value' } },
      },
      {
        name: 'second',
        types: ['page_view'],
        groupBy: ['attributes.page'],
        windows: ['1m', '1h'],
        allowedLateness: '1h',
        measures: {
          n: { op: 'count' },
          u: { op: 'distinct', of: 'key' },
          lat: { op: 'quantiles', of: 'attributes.latencyMs' },
          refs: { op: 'topK', of: 'attributes.referrer', k: 5 },
        },
      },
    ],
  };
}

function errorOf(raw: unknown): DeclarationError {
  try {
    parseDeclarations(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(DeclarationError);
    return error as DeclarationError;
  }
  throw new Error('accepted');
}

function withChange(change: (d: Json) => void): Json {
  const d = valid();
  change(d);
  return d;
}

const measuresOf = (n: number): Record<string, unknown> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`m${i}`, { op: 'count' }]));

describe('the shipped aggregates.json', () => {
  const declarations = loadDeclarationsFile(PROJECT_AGGREGATES_FILE);

  it('declares by_key with the v1 measures, so v1 readers keep working', () => {
    const byKey = findAggregate(declarations, BY_KEY)!;
    expect(byKey).toMatchObject({ types: ['*'], groupBy: ['type', 'key'], windows: ['1m'], windowSeconds: [60] });
    expect(byKey.measures).toEqual({
      count: { op: 'count' },
      sum: { op: 'sum', of: 'value' },
      min: { op: 'min', of: 'value' },
      max: { op: 'max', of: 'value' },
    });
    expect(isKeyed(byKey)).toBe(true);
    expect(hasSketches(byKey)).toBe(false);
  });

  it('uses every measure op at least once', () => {
    const used = new Set(declarations.aggregates.flatMap((a) => Object.values(a.measures).map((m) => m.op)));
    expect([...used].sort()).toEqual([...MEASURE_OPS].sort());
  });

  it('survives toJson and a second parse unchanged', () => {
    const json = toJson(declarations);
    expect(JSON.stringify(json)).not.toMatch(/windowSeconds|allowedLatenessSeconds/);
    expect(parseDeclarations(JSON.parse(JSON.stringify(json)))).toEqual(declarations);
  });
});

describe('parseDeclarations', () => {
  it('derives window seconds and lateness, and fills the defaults', () => {
    const d = parseDeclarations(
      withChange((x) => {
        delete x.aggregates[0].groupBy;
        x.aggregates[1].windows = ['10s', '90s', '1h', '1d'];
        x.aggregates[1].measures.lat = { op: 'quantiles', of: 'value' };
        x.aggregates[1].measures.refs = { op: 'topK', of: 'key' };
      }),
    );
    expect(d.aggregates[0].groupBy).toEqual([]);
    expect(d.aggregates[0]).not.toHaveProperty('allowedLateness');
    expect(d.aggregates[0].allowedLatenessSeconds).toBeUndefined();
    expect(d.aggregates[1]).toMatchObject({
      windowSeconds: [10, 90, 3600, 86_400],
      allowedLateness: '1h',
      allowedLatenessSeconds: 3600,
    });
    expect(d.aggregates[1].measures.lat).toEqual({
      op: 'quantiles',
      of: 'value',
      relativeAccuracy: DEFAULT_RELATIVE_ACCURACY,
    });
    expect(d.aggregates[1].measures.refs).toEqual({ op: 'topK', of: 'key', k: DEFAULT_TOP_K });
  });

  it('accepts "0s" as a lateness of zero, and a $schema key', () => {
    const d = parseDeclarations(
      withChange((x) => {
        x.$schema = './aggregates.schema.json';
        x.aggregates[1].allowedLateness = '0s';
      }),
    );
    expect(d.aggregates[1].allowedLatenessSeconds).toBe(0);
  });

  it('accepts the limits themselves', () => {
    const d = parseDeclarations({
      version: 2,
      aggregates: Array.from({ length: LIMITS.aggregates }, (_, i) => ({
        name: `a${i}`,
        types: ['*'],
        groupBy: ['type', 'key', 'attributes.x'],
        windows: ['10s', '1m', '1h', '1d'],
        measures: { ...measuresOf(LIMITS.measures - 1), top: { op: 'topK', of: 'attributes.y', k: LIMITS.maxK } },
      })),
    });
    expect(d.aggregates).toHaveLength(32);
  });

  it('tells which aggregates keep sketches and which are keyed', () => {
    const [first, second] = parseDeclarations(valid()).aggregates;
    expect([hasSketches(first), isKeyed(first)]).toEqual([false, true]);
    expect([hasSketches(second), isKeyed(second)]).toEqual([true, false]);
  });

  it.each<[string, (d: Json) => void, string, RegExp]>([
    ['version 1', (d) => (d.version = 1), 'version', /must be 2/],
    ['version "2"', (d) => (d.version = '2'), 'version', /must be 2/],
    ['no version', (d) => delete d.version, 'version', /must be 2/],
    ['no aggregates', (d) => delete d.aggregates, 'aggregates', /array/],
    ['aggregates empty', (d) => (d.aggregates = []), 'aggregates', /1 to 32/],
    ['aggregates an object', (d) => (d.aggregates = { a: d.aggregates[0] }), 'aggregates', /array/],
    [
      'too many aggregates',
      (d) => {
        const first: Record<string, unknown> = d.aggregates[0];
        d.aggregates = Array.from({ length: 33 }, (_, i) => ({ ...first, name: `a${i}` }));
      },
      'aggregates',
      /1 to 32/,
    ],
    ['an unknown root key', (d) => (d.aggregate = []), '(root).aggregate', /unknown property/],
    ['an aggregate not an object', (d) => (d.aggregates[1] = 'pages'), 'aggregates[1]', /object/],
    ['an unknown aggregate key', (d) => (d.aggregates[1].window = ['1m']), 'aggregates[1].window', /unknown/],
    ['no name', (d) => delete d.aggregates[1].name, 'aggregates[1].name', /required/],
    ['an upper-case name', (d) => (d.aggregates[1].name = 'Pages'), 'aggregates[1].name', /must match/],
    ['a name with a dash', (d) => (d.aggregates[1].name = 'page-views'), 'aggregates[1].name', /must match/],
    ['a 33-character name', (d) => (d.aggregates[1].name = 'a'.repeat(33)), 'aggregates[1].name', /must match/],
    ['a duplicate name', (d) => (d.aggregates[1].name = 'first'), 'aggregates[1].name', /declared twice/],
    ['no types', (d) => delete d.aggregates[1].types, 'aggregates[1].types', /array/],
    ['types empty', (d) => (d.aggregates[1].types = []), 'aggregates[1].types', /1 to 100/],
    ['types a string', (d) => (d.aggregates[1].types = 'click'), 'aggregates[1].types', /array/],
    ['"*" with another type', (d) => (d.aggregates[1].types = ['*', 'click']), 'aggregates[1].types', /stands alone/],
    ['an invalid type', (d) => (d.aggregates[1].types = ['ok', 'page view']), 'aggregates[1].types[1]', /event type/],
    ['a type not a string', (d) => (d.aggregates[1].types = ['ok', 7]), 'aggregates[1].types[1]', /string/],
    ['a type listed twice', (d) => (d.aggregates[1].types = ['a', 'b', 'a']), 'aggregates[1].types[2]', /twice/],
    [
      'groupBy too long',
      (d) => (d.aggregates[1].groupBy = ['type', 'key', 'attributes.a', 'attributes.b']),
      'aggregates[1].groupBy',
      /0 to 3/,
    ],
    ['groupBy by value', (d) => (d.aggregates[1].groupBy = ['value']), 'aggregates[1].groupBy[0]', /cannot be grouped/],
    ['groupBy a bare name', (d) => (d.aggregates[1].groupBy = ['type', 'page']), 'aggregates[1].groupBy[1]', /cannot/],
    ['groupBy "attributes."', (d) => (d.aggregates[1].groupBy = ['attributes.']), 'aggregates[1].groupBy[0]', /cannot/],
    [
      'groupBy a nested attribute',
      (d) => (d.aggregates[1].groupBy = ['attributes.a.b']),
      'aggregates[1].groupBy[0]',
      /cannot/,
    ],
    ['groupBy a field twice', (d) => (d.aggregates[0].groupBy = ['key', 'key']), 'aggregates[0].groupBy[1]', /twice/],
    ['no windows', (d) => delete d.aggregates[1].windows, 'aggregates[1].windows', /1 to 4/],
    ['windows empty', (d) => (d.aggregates[1].windows = []), 'aggregates[1].windows', /1 to 4/],
    [
      'five windows',
      (d) => (d.aggregates[1].windows = ['10s', '1m', '5m', '1h', '1d']),
      'aggregates[1].windows',
      /1 to 4/,
    ],
    // 1440 minutes / 7 is not whole.
    ['"7m"', (d) => (d.aggregates[1].windows = ['1m', '7m']), 'aggregates[1].windows[1]', /does not divide a day/],
    ['"48h"', (d) => (d.aggregates[1].windows = ['48h']), 'aggregates[1].windows[0]', /does not divide a day/],
    ['"5s"', (d) => (d.aggregates[1].windows = ['5s']), 'aggregates[1].windows[0]', /shorter than 10s/],
    ['"2d"', (d) => (d.aggregates[1].windows = ['2d']), 'aggregates[1].windows[0]', /longest window is 1d/],
    ['"1x"', (d) => (d.aggregates[1].windows = ['1x']), 'aggregates[1].windows[0]', /not a window size/],
    ['"0s" as a window', (d) => (d.aggregates[1].windows = ['0s']), 'aggregates[1].windows[0]', /not a window/],
    ['"1.5m"', (d) => (d.aggregates[1].windows = ['1.5m']), 'aggregates[1].windows[0]', /not a window size/],
    ['"60s" and "1m"', (d) => (d.aggregates[1].windows = ['60s', '1m']), 'aggregates[1].windows[1]', /repeats/],
    ['a window not a string', (d) => (d.aggregates[1].windows = [60]), 'aggregates[1].windows[0]', /string/],
    [
      'allowedLateness "soon"',
      (d) => (d.aggregates[1].allowedLateness = 'soon'),
      'aggregates[1].allowedLateness',
      /duration/,
    ],
    [
      'allowedLateness 600',
      (d) => (d.aggregates[1].allowedLateness = 600),
      'aggregates[1].allowedLateness',
      /duration/,
    ],
    ['allowedLateness "-5m"', (d) => (d.aggregates[1].allowedLateness = '-5m'), 'aggregates[1].allowedLateness', /dur/],
    ['allowedLateness null', (d) => (d.aggregates[1].allowedLateness = null), 'aggregates[1].allowedLateness', /dur/],
    ['no measures', (d) => delete d.aggregates[1].measures, 'aggregates[1].measures', /required/],
    ['measures an array', (d) => (d.aggregates[1].measures = [{ op: 'count' }]), 'aggregates[1].measures', /object/],
    ['measures empty', (d) => (d.aggregates[1].measures = {}), 'aggregates[1].measures', /1 to 16/],
    ['17 measures', (d) => (d.aggregates[1].measures = measuresOf(17)), 'aggregates[1].measures', /1 to 16/],
    [
      'a bad measure name',
      (d) => (d.aggregates[1].measures.Lat = { op: 'count' }),
      'aggregates[1].measures.Lat',
      /must match/,
    ],
    [
      'a measure name with "#"',
      (d) => (d.aggregates[1].measures['a#sum'] = { op: 'count' }),
      'aggregates[1].measures.a#sum',
      /must match/,
    ],
    // Upper case, so already refused by the name pattern; the path is what matters.
    [
      'the reserved name windowStart',
      (d) => (d.aggregates[1].measures.windowStart = { op: 'count' }),
      'aggregates[1].measures.windowStart',
      /./,
    ],
    [
      'the reserved name version',
      (d) => (d.aggregates[1].measures.version = { op: 'count' }),
      'aggregates[1].measures.version',
      /taken by the stored item/,
    ],
    [
      'the reserved name window',
      (d) => (d.aggregates[1].measures.window = { op: 'count' }),
      'aggregates[1].measures.window',
      /taken/,
    ],
    [
      'a measure named as a groupBy field',
      (d) => (d.aggregates[0].measures.key = { op: 'count' }),
      'aggregates[0].measures.key',
      /taken by the stored item/,
    ],
    ['a measure not an object', (d) => (d.aggregates[1].measures.n = 'count'), 'aggregates[1].measures.n', /object/],
    ['an unknown op', (d) => (d.aggregates[1].measures.n = { op: 'median' }), 'aggregates[1].measures.n.op', /one of/],
    ['no op', (d) => (d.aggregates[1].measures.n = {}), 'aggregates[1].measures.n.op', /one of count, sum/],
    ['sum without of', (d) => (d.aggregates[0].measures.s = { op: 'sum' }), 'aggregates[0].measures.s.of', /required/],
    ['topK without of', (d) => delete d.aggregates[1].measures.refs.of, 'aggregates[1].measures.refs.of', /required/],
    [
      'sum of type',
      (d) => (d.aggregates[0].measures.s = { op: 'sum', of: 'type' }),
      'aggregates[0].measures.s.of',
      /needs a number/,
    ],
    [
      'avg of key',
      (d) => (d.aggregates[0].measures.s = { op: 'avg', of: 'key' }),
      'aggregates[0].measures.s.of',
      /needs a number/,
    ],
    [
      'quantiles of a bare name',
      (d) => (d.aggregates[1].measures.lat.of = 'latencyMs'),
      'aggregates[1].measures.lat.of',
      /needs a number/,
    ],
    [
      'distinct of a groupBy field',
      (d) => (d.aggregates[1].measures.u.of = 'attributes.page'),
      'aggregates[1].measures.u.of',
      /groupBy field/,
    ],
    [
      'topK of a groupBy field',
      (d) => (d.aggregates[0].measures.t = { op: 'topK', of: 'key' }),
      'aggregates[0].measures.t.of',
      /groupBy field/,
    ],
    [
      'distinct of a bad attribute name',
      (d) => (d.aggregates[1].measures.u.of = 'attributes.user id'),
      'aggregates[1].measures.u.of',
      /not a field/,
    ],
    [
      'relativeAccuracy 0',
      (d) => (d.aggregates[1].measures.lat.relativeAccuracy = 0),
      'aggregates[1].measures.lat.relativeAccuracy',
      /0.001 to 0.1/,
    ],
    [
      'relativeAccuracy 0.5',
      (d) => (d.aggregates[1].measures.lat.relativeAccuracy = 0.5),
      'aggregates[1].measures.lat.relativeAccuracy',
      /0.001 to 0.1/,
    ],
    [
      'relativeAccuracy "1%"',
      (d) => (d.aggregates[1].measures.lat.relativeAccuracy = '1%'),
      'aggregates[1].measures.lat.relativeAccuracy',
      /number/,
    ],
    ['k 0', (d) => (d.aggregates[1].measures.refs.k = 0), 'aggregates[1].measures.refs.k', /integer from 1 to 100/],
    ['k 101', (d) => (d.aggregates[1].measures.refs.k = 101), 'aggregates[1].measures.refs.k', /1 to 100/],
    ['k 1.5', (d) => (d.aggregates[1].measures.refs.k = 1.5), 'aggregates[1].measures.refs.k', /integer/],
    ['k "10"', (d) => (d.aggregates[1].measures.refs.k = '10'), 'aggregates[1].measures.refs.k', /integer/],
    ['k on count', (d) => (d.aggregates[1].measures.n.k = 3), 'aggregates[1].measures.n.k', /unknown property/],
    ['of on count', (d) => (d.aggregates[1].measures.n.of = 'key'), 'aggregates[1].measures.n.of', /unknown property/],
    [
      'k on quantiles',
      (d) => (d.aggregates[1].measures.lat.k = 3),
      'aggregates[1].measures.lat.k',
      /of, relativeAccuracy/,
    ],
    [
      'relativeAccuracy on topK',
      (d) => (d.aggregates[1].measures.refs.relativeAccuracy = 0.01),
      'aggregates[1].measures.refs.relativeAccuracy',
      /unknown property/,
    ],
  ])('refuses %s, naming its JSON path', (_name, change, jsonPath, problem) => {
    const error = errorOf(withChange(change));
    expect(error.path).toBe(jsonPath);
    expect(error.message.startsWith(`${jsonPath}: `)).toBe(true);
    expect(error.message.slice(jsonPath.length + 2)).toMatch(problem);
  });

  it.each([null, [], 'aggregates', 2])('refuses %j as the whole file', (raw) => {
    expect(errorOf(raw).message).toMatch(/^\(root\): must be an object/);
  });
});

describe('parseDeclarationsText and loadDeclarationsFile', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'declarations-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the file when the text is not JSON', () => {
    expect(() => parseDeclarationsText('{"version": 2,', 'mine.json')).toThrow(/^mine\.json: not valid JSON: /);
  });

  it('puts the file name before the JSON path of a mistake', () => {
    const text = JSON.stringify(withChange((d) => (d.aggregates[1].measures.lat.relativeAccuracy = 0)));
    expect(() => parseDeclarationsText(text, 'mine.json')).toThrow(
      /^mine\.json: aggregates\[1\]\.measures\.lat\.relativeAccuracy: must be a number/,
    );
  });

  it('reads a file and reports a mistake with its base name, and a missing file without a stack trace', () => {
    const file = path.join(dir, 'custom.json');
    writeFileSync(file, JSON.stringify(valid()));
    expect(loadDeclarationsFile(file)).toEqual(parseDeclarations(valid()));
    writeFileSync(file, JSON.stringify(withChange((d) => (d.aggregates[0].windows = ['7m']))));
    expect(() => loadDeclarationsFile(file)).toThrow(/^custom\.json: aggregates\[0\]\.windows\[0\]: "7m" does not/);
    const missing = path.join(dir, 'missing.json');
    expect(() => loadDeclarationsFile(missing)).toThrow(new DeclarationError(missing, 'cannot be read: ENOENT'));
  });
});

describe('parseDuration', () => {
  it.each<[string, number | undefined]>([
    ['10s', 10],
    ['90s', 90],
    ['5m', 300],
    ['1h', 3600],
    ['1d', 86_400],
    ['7d', 604_800],
    ['999999s', 999_999],
    ['1000000s', undefined],
    ['0s', undefined],
    ['05m', undefined],
    ['1.5m', undefined],
    ['1M', undefined],
    [' 1m', undefined],
    ['1m ', undefined],
    ['1w', undefined],
    ['', undefined],
  ])('%j is %j seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });
});

describe('aggregates.schema.json agrees with the code', () => {
  const schema = JSON.parse(
    readFileSync(path.join(path.dirname(PROJECT_AGGREGATES_FILE), 'aggregates.schema.json'), 'utf8'),
  );
  const defs = schema.definitions;
  const aggregate = defs.aggregate.properties;
  const branches: Json[] = defs.measure.oneOf;
  const branch = (op: string): Json =>
    branches.find((b) => b.properties.op.const === op || b.properties.op.enum?.includes(op));
  const matches = (pattern: string, text: string): boolean => new RegExp(pattern).test(text);

  /** Whether the code accepts an aggregate changed by `change`; any other error fails the test. */
  function accepts(change: (d: Json) => void): boolean {
    try {
      parseDeclarations(withChange(change));
      return true;
    } catch (error) {
      expect(error).toBeInstanceOf(DeclarationError);
      return false;
    }
  }

  it('lists the same measure ops, sketches and exact ones alike', () => {
    const ops = branches.flatMap(
      (b) => (b.properties.op.enum as string[] | undefined) ?? [b.properties.op.const as string],
    );
    expect([...ops].sort()).toEqual([...MEASURE_OPS].sort());
    expect([...EXACT_OPS, ...SKETCH_OPS].sort()).toEqual([...MEASURE_OPS].sort());
  });

  it('has the same limits', () => {
    expect(schema.properties.aggregates.maxItems).toBe(LIMITS.aggregates);
    expect(aggregate.groupBy.maxItems).toBe(LIMITS.groupBy);
    expect(aggregate.windows.maxItems).toBe(LIMITS.windows);
    expect(aggregate.measures.maxProperties).toBe(LIMITS.measures);
    expect(branch('topK').properties.k).toMatchObject({ minimum: 1, maximum: LIMITS.maxK, default: DEFAULT_TOP_K });
    expect(branch('quantiles').properties.relativeAccuracy).toMatchObject({
      minimum: LIMITS.minRelativeAccuracy,
      maximum: LIMITS.maxRelativeAccuracy,
      default: DEFAULT_RELATIVE_ACCURACY,
    });
    // The contract's numbers, in case both sides move together by mistake.
    expect([LIMITS.aggregates, LIMITS.groupBy, LIMITS.windows, LIMITS.measures, LIMITS.maxK]).toEqual([
      32, 3, 4, 16, 100,
    ]);
    expect(schema.properties.version.const).toBe(2);
  });

  it('has the same name, type and attribute patterns', () => {
    expect(defs.name.pattern).toBe(NAME_PATTERN.source);
    expect(aggregate.types.items.pattern).toBe(`^(\\*|${TYPE_PATTERN.source.slice(1, -1)})$`);
    expect(defs.groupField.pattern).toContain(`attributes\\.${ATTRIBUTE_NAME_PATTERN.source.slice(1, -1)})$`);
  });

  const FIELDS = [
    'type',
    'key',
    'value',
    'attributes.page',
    'attributes._x',
    'attributes.a-b',
    'attributes.Page9',
    'attributes.9page',
    'attributes.-a',
    'attributes.',
    'attributes.a.b',
    'attributes.a b',
    `attributes.${'a'.repeat(64)}`,
    `attributes.${'a'.repeat(65)}`,
    'page',
    'Type',
    'attributes',
    '',
  ];

  it.each(FIELDS)('judges the field %j alike in groupBy and in every kind of `of`', (field) => {
    const groupedBy = (d: Json): void => {
      d.aggregates[1].groupBy = [field];
      d.aggregates[1].measures = { n: { op: 'count' } };
    };
    expect(accepts(groupedBy)).toBe(matches(defs.groupField.pattern, field));
    // Measured in aggregate 0, whose groupBy is type and key.
    for (const op of ['sum', 'quantiles', 'distinct', 'topK']) {
      const expected =
        matches(
          branch(op).properties.of.$ref === '#/definitions/numberField'
            ? defs.numberField.pattern
            : defs.anyField.pattern,
          field,
        ) &&
        field !== 'type' &&
        field !== 'key';
      expect(
        accepts((d) => (d.aggregates[0].measures.m = { op, of: field })),
        `${op} of ${field}`,
      ).toBe(expected);
    }
  });

  const WINDOWS = [
    '10s',
    '15s',
    '90s',
    '1m',
    '7m',
    '5m',
    '60m',
    '1h',
    '24h',
    '48h',
    '1d',
    '2d',
    '5s',
    '0s',
    '0m',
    '01m',
    '1x',
    '1.5m',
    '1M',
    '1000000s',
    '999999s',
    '1w',
    '',
    ' 1m',
  ];

  it('accepts only windows the schema allows, and refuses the others only for their size', () => {
    for (const w of WINDOWS) {
      const error = (() => {
        try {
          parseDeclarations(withChange((d) => (d.aggregates[1].windows = [w])));
          return undefined;
        } catch (e) {
          return (e as DeclarationError).message;
        }
      })();
      if (error === undefined) expect(matches(defs.window.pattern, w), w).toBe(true);
      // The schema cannot say "at least 10s and dividing a day"; everything else it says too.
      else if (matches(defs.window.pattern, w)) expect(error, w).toMatch(/shorter than|does not divide a day/);
    }
  });

  it.each(['0s', '10s', '1m', '10m', '1h', '7d', '999999d', '00s', '0m', '-1m', '1.5h', '1w', '1000000s', '', '1H'])(
    'judges allowedLateness %j alike',
    (lateness) => {
      expect(accepts((d) => (d.aggregates[1].allowedLateness = lateness))).toBe(
        matches(aggregate.allowedLateness.pattern, lateness),
      );
    },
  );
});
