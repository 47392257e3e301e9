import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_AGGREGATES_FILE, loadDeclarationsFile } from '../../lambda/shared/declarations-file';
import { UsageError, parseDuration, parseOptions } from '../../loadgen/options';

const dir = mkdtempSync(join(tmpdir(), 'loadgen-options-'));
const declarationsFile = join(dir, 'aggregates.json');
const TOTALS = { name: 'totals', types: ['*'], windows: ['5m'], measures: { n: { op: 'count' } } };
writeFileSync(declarationsFile, JSON.stringify({ version: 2, aggregates: [TOTALS] }));
const badFile = join(dir, 'bad.json');
writeFileSync(
  badFile,
  JSON.stringify({
    version: 2,
    aggregates: [
      TOTALS,
      { ...TOTALS, name: 'other' },
      { ...TOTALS, name: 'third', measures: { p: { op: 'sum', of: 'nope' } } },
    ],
  }),
);

const base = ['--stream', 'events', '--scenario', 'iot', '--rate', '100'];
const NOW = Date.UTC(2026, 10, 23, 9, 44, 12, 345);

describe('parseOptions', () => {
  it('reads a full command line', () => {
    const o = parseOptions(
      [
        ...base,
        '--count',
        '50',
        '--endpoint',
        'http://127.0.0.1:4567',
        '--region',
        'eu-west-1',
        '--keys',
        '7',
        '--seed',
        '9',
        '--kpl',
        '--expect',
        'x.json',
        '--poison',
        '0.1',
        '--json',
        '--concurrency',
        '4',
        '--aggregates',
        declarationsFile,
        '--start',
        '2026-11-23T10:00:00+01:00',
      ],
      {},
      NOW,
    );
    expect(o).toEqual({
      stream: 'events',
      endpoint: 'http://127.0.0.1:4567',
      region: 'eu-west-1',
      scenario: 'iot',
      rate: 100,
      count: 50,
      keys: 7,
      seed: 9,
      kpl: true,
      expect: 'x.json',
      poison: 0.1,
      json: true,
      concurrency: 4,
      maxRetries: 10,
      declarations: loadDeclarationsFile(declarationsFile),
      startMs: Date.UTC(2026, 10, 23, 9),
    });
  });

  it('has defaults: seed 1, the scenario key count, region from the environment, start at this second', () => {
    const o = parseOptions([...base, '--duration', '2m'], { AWS_REGION: 'ap-south-1' }, NOW);
    expect(o).toMatchObject({
      seed: 1,
      keys: 200,
      region: 'ap-south-1',
      durationMs: 120_000,
      poison: 0,
      kpl: false,
      json: false,
      concurrency: 8,
    });
    expect(o.startMs).toBe(Date.UTC(2026, 10, 23, 9, 44, 12));
    expect(o.declarations).toEqual(loadDeclarationsFile(PROJECT_AGGREGATES_FILE));
  });

  it.each([
    [['--scenario', 'iot', '--rate', '1', '--count', '1'], /^--stream: required/],
    [
      ['--stream', 'bad name', '--scenario', 'iot', '--rate', '1', '--count', '1'],
      /^--stream: "bad name" is not a valid stream name/,
    ],
    [['--stream', 's', '--rate', '1', '--count', '1'], /^--scenario: required, one of clickstream, iot, logs/],
    [
      ['--stream', 's', '--scenario', 'web', '--rate', '1', '--count', '1'],
      /^--scenario: must be one of clickstream, iot, logs, got "web"/,
    ],
    [['--stream', 's', '--scenario', 'iot', '--count', '1'], /^--rate: required/],
    [[...base.slice(0, 4), '--rate', '-5', '--count', '1'], /'--rate' argument is ambiguous/],
    [[...base.slice(0, 4), '--rate', 'fast', '--count', '1'], /^--rate: expected a positive number/],
    [base, /^--duration or --count: give exactly one of them/],
    [[...base, '--count', '1', '--duration', '1s'], /^--duration or --count/],
    [[...base, '--count', '1.5'], /^--count: expected a positive integer/],
    [[...base, '--count', '1', '--seed', '1.5'], /^--seed: expected an integer from 0 to 4294967295/],
    [[...base.slice(0, 4), '--rate', '0', '--count', '1'], /^--rate: expected a positive number, got "0"/],
    [[...base, '--duration', 'forever'], /^--duration: expected a positive duration/],
    [[...base, '--count', '1', '--poison', '2'], /^--poison: expected a share from 0 to 1, got "2"/],
    [[...base, '--count', '1', '--seed', '-1'], /'--seed' argument is ambiguous/],
    [[...base, '--count', '1', '--max-retries', '1000'], /^--max-retries: expected an integer from 0 to 100/],
    [[...base, '--count', '1', '--keys', '0'], /^--keys: expected a positive integer/],
    [[...base, '--count', '1', '--endpoint', 'localhost:4567'], /^--endpoint: expected a URL/],
    [[...base, '--count', '1', '--start', 'yesterday'], /^--start: expected ISO-8601/],
    [
      [...base, '--count', '1', '--window-seconds', '60'],
      /^--window-seconds: no longer taken; the windows are those of --aggregates/,
    ],
    [
      [...base, '--count', '1', '--aggregates', badFile],
      /^--aggregates: bad\.json: aggregates\[2\]\.measures\.p\.of: "nope"/,
    ],
    [
      [...base, '--count', '1', '--aggregates', join(dir, 'none.json')],
      /^--aggregates: .*none\.json: cannot be read: ENOENT/,
    ],
    [[...base, '--count', '1', '--aggregates', ''], /^--aggregates: must not be empty/],
    [[...base, '--count', '1', '--rat', '5'], /Unknown option '--rat'/],
    [[...base, '--count', '1', 'extra'], /extra/],
  ])('refuses %j, naming the flag', (argv, message) => {
    expect(() => parseOptions(argv, {}, NOW)).toThrow(UsageError);
    expect(() => parseOptions(argv, {}, NOW)).toThrow(message);
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['60s', 60_000],
    ['60', 60_000],
    ['1.5m', 90_000],
    ['2h', 7_200_000],
  ])('%s is %i ms', (raw, ms) => {
    expect(parseDuration(raw)).toBe(ms);
  });
});
