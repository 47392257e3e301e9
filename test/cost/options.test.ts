import { describe, expect, it } from 'vitest';
import { ASSUMPTIONS } from '../../cost/model';
import { parseOptions, UsageError } from '../../cost/options';

const base = ['--rate', '100', '--size', '1024'];

describe('cost options', () => {
  it('reads the flags, with the defaults', () => {
    expect(parseOptions(base)).toEqual({
      table: false,
      rate: 100,
      sizeBytes: 1024,
      stage: 'dev',
      mode: undefined,
      keys: ASSUMPTIONS.defaultKeys,
      peakFactor: 1,
      archiveFormat: undefined,
      search: undefined,
      batchMs: undefined,
      byTypeIndex: undefined,
      aggregates: undefined,
      results: undefined,
      json: false,
      help: false,
    });
    const o = parseOptions([
      ...base,
      '--stage',
      'prod',
      '--mode',
      'provisioned',
      '--keys',
      '50',
      '--peak-factor',
      '2.5',
      '--archive-format',
      'parquet',
      '--search',
      'off',
      '--batch-ms',
      '40',
      '--by-type-index',
      'on',
      '--aggregates',
      'mine.json',
      '--results',
      'r.json',
      '--json',
    ]);
    expect(o).toMatchObject({
      stage: 'prod',
      mode: 'provisioned',
      keys: 50,
      peakFactor: 2.5,
      archiveFormat: 'parquet',
      search: false,
      batchMs: 40,
      byTypeIndex: true,
      aggregates: 'mine.json',
      results: 'r.json',
      json: true,
    });
  });

  it('needs neither --rate nor --size with --table or --help', () => {
    expect(parseOptions(['--table']).table).toBe(true);
    expect(parseOptions(['-h']).help).toBe(true);
  });

  it.each([
    [['--size', '1024'], '--rate: required'],
    [['--rate', '10'], '--size: required'],
    [['--rate', 'fast', '--size', '1'], '--rate: expected a positive number, got "fast"'],
    [['--rate', '0', '--size', '1'], '--rate:'],
    [['--rate', '', '--size', '1'], '--rate:'],
    [['--rate', '1', '--size', '1.5'], '--size: expected a positive integer'],
    [['--rate', '1', '--size', '2000000'], '--size: a Kinesis record holds at most 1,048,576 bytes'],
    [[...base, '--stage', 'qa'], '--stage: must be one of dev, prod, got "qa"'],
    [[...base, '--mode', 'serverless'], '--mode: must be one of on-demand, provisioned'],
    [[...base, '--keys', '0'], '--keys: expected a positive integer'],
    [[...base, '--peak-factor', '0.5'], '--peak-factor: expected a number of at least 1'],
    [[...base, '--archive-format', 'csv'], '--archive-format: must be one of gzip, parquet'],
    [[...base, '--search', 'yes'], '--search: must be one of on, off'],
    [[...base, '--batch-ms=-3'], '--batch-ms: expected a positive number'],
    [[...base, '--results', ''], '--results:'],
    [[...base, '--by-type-index', 'yes'], '--by-type-index: must be one of on, off'],
    [[...base, '--aggregates', ''], '--aggregates:'],
    [[...base, '--rat', '5'], "'--rat'"],
    [[...base, '--json=yes'], '--json'],
    [[...base, 'extra'], 'extra'],
  ])('%j fails naming the flag', (argv, message) => {
    expect(() => parseOptions(argv)).toThrow(UsageError);
    expect(() => parseOptions(argv)).toThrow(message);
  });
});
