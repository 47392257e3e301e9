import { createHash } from 'node:crypto';
import { RecordAggregator, deaggregateSync } from 'aws-kinesis-agg';
import { describe, expect, it } from 'vitest';
import { deaggregate, isKplAggregated } from '../../../lambda/shared/kpl-deaggregate';
import { mulberry32 } from './sketches/random';

/**
 * aws-kinesis-agg, the awslabs library, is the oracle: it aggregates, and its deaggregateSync
 * (checksums on) must read the same user records as ours from the same bytes, but for the
 * differences kpl-deaggregate.ts documents.
 */

const SEQUENCE = '49650000000000000000000000000000000000000000000000000042';
const MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);

interface Input {
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  readonly data: Buffer;
}

/** User records as deaggregateSync shapes them. */
interface LibraryRecord {
  partitionKey: string | undefined;
  explicitPartitionKey?: string;
  sequenceNumber: string;
  subSequenceNumber?: number;
  data: string;
}

function library(bytes: Buffer, partitionKey = 'outer'): LibraryRecord[] | Error {
  let error: Error | undefined;
  let records: LibraryRecord[] = [];
  deaggregateSync(
    {
      partitionKey,
      sequenceNumber: SEQUENCE,
      data: bytes.toString('base64'),
      approximateArrivalTimestamp: 0,
      kinesisSchemaVersion: '1.0',
    },
    true,
    (err, users) => {
      if (err) error ??= err;
      else records = users ?? [];
    },
  );
  return error ?? records;
}

/** Ours, in the library's shape, so that the two compare field by field. */
function ours(bytes: Buffer, partitionKey = 'outer'): LibraryRecord[] | string {
  const users = deaggregate(bytes, partitionKey);
  if (typeof users === 'string') return users;
  return users.map((u) => ({
    partitionKey: u.partitionKey,
    explicitPartitionKey: u.explicitPartitionKey,
    sequenceNumber: SEQUENCE,
    ...(u.subSequenceNumber === undefined ? {} : { subSequenceNumber: u.subSequenceNumber }),
    data: u.data.toString('base64'),
  }));
}

function aggregate(inputs: readonly Input[]): Buffer {
  const aggregator = new RecordAggregator();
  for (const input of inputs) aggregator.addUserRecord(input);
  return aggregator.build()!.data;
}

/**
 * The library's answer with its one quirk undone: a user record sent without an explicit hash
 * key gets the table's first (protobufjs reads the absent index as 0); ours leaves it undefined.
 */
function libraryExpected(bytes: Buffer, inputs: readonly Input[]): LibraryRecord[] {
  const records = library(bytes);
  if (records instanceof Error) throw records;
  const firstHashKey = inputs.find((i) => i.explicitHashKey)?.explicitHashKey;
  return records.map((r, i) => {
    if (inputs[i].explicitHashKey) return r;
    expect(r.explicitPartitionKey).toBe(firstHashKey);
    return { ...r, explicitPartitionKey: undefined };
  });
}

const KEYS = ['k', 'user-42', 'ключ', '日本語のキー', '🔑🗝️', 'é'.normalize('NFD'), 'x'.repeat(256), 'a b\tc'];

function randomInputs(random: () => number, count: number, maxData: number): Input[] {
  // No hash key below 2^32 - 1: the library's aggregator orders its tables by Object.keys, which
  // puts such keys (array indexes to JavaScript) first, out of step with the indexes it wrote.
  const hashKeys = ['4294967296', '170141183460469231731687303715884105728', '340282366920938463463374607431768211455'];
  return Array.from({ length: count }, () => {
    const partitionKey =
      random() < 0.5 ? KEYS[Math.floor(random() * KEYS.length)] : `key-${Math.floor(random() * 1e9).toString(36)}`;
    const size = random() < 0.1 ? 0 : Math.floor(random() * maxData);
    const data = Buffer.from(Array.from({ length: size }, () => Math.floor(random() * 256)));
    return random() < 0.3
      ? { partitionKey, explicitHashKey: hashKeys[Math.floor(random() * hashKeys.length)], data }
      : { partitionKey, data };
  });
}

describe('deaggregate against aws-kinesis-agg', () => {
  it('reads what the library aggregated, field by field, over random aggregates', () => {
    const random = mulberry32(12);
    for (let round = 0; round < 200; round++) {
      const inputs = randomInputs(random, 1 + Math.floor(random() * 60), round % 10 === 0 ? 5_000 : 200);
      const bytes = aggregate(inputs);
      expect(isKplAggregated(bytes)).toBe(true);
      const got = ours(bytes);
      expect(got).toEqual(libraryExpected(bytes, inputs));
      // And against what went in, not only against the library.
      expect(got).toEqual(
        inputs.map((input, i) => ({
          partitionKey: input.partitionKey,
          explicitPartitionKey: input.explicitHashKey,
          sequenceNumber: SEQUENCE,
          subSequenceNumber: i,
          data: input.data.toString('base64'),
        })),
      );
    }
  });

  it('reads an aggregate of many records', () => {
    const inputs = randomInputs(mulberry32(7), 10_000, 40);
    const bytes = aggregate(inputs);
    const got = ours(bytes);
    expect(got).toHaveLength(10_000);
    expect(got).toEqual(libraryExpected(bytes, inputs));
  });

  it('reads empty data and every user record without an explicit hash key', () => {
    const inputs = [
      { partitionKey: 'a', data: Buffer.alloc(0) },
      { partitionKey: 'b', data: Buffer.from('x') },
      { partitionKey: 'a', data: Buffer.alloc(0) },
    ];
    const bytes = aggregate(inputs);
    expect(ours(bytes)).toEqual(library(bytes));
    const users = deaggregate(bytes, 'outer');
    expect(typeof users).not.toBe('string');
    expect((users as Exclude<typeof users, string>).map((u) => u.explicitPartitionKey)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('gives views into the record, not copies', () => {
    const bytes = aggregate([{ partitionKey: 'k', data: Buffer.from('hello') }]);
    const [user] = deaggregate(bytes, 'outer') as Exclude<ReturnType<typeof deaggregate>, string>;
    expect(user.data.buffer).toBe(bytes.buffer);
    expect(user.data.toString()).toBe('hello');
  });

  it('passes a record that is not aggregated through whole, as the library does', () => {
    for (const data of [Buffer.from('{"eventId":"e"}'), Buffer.alloc(0), Buffer.from([0xf3, 0x89, 0x9a])]) {
      const got = deaggregate(data, 'pk');
      expect(got).toEqual([
        { partitionKey: 'pk', explicitPartitionKey: undefined, subSequenceNumber: undefined, data },
      ]);
      expect((got as Exclude<typeof got, string>)[0].data).toBe(data);
      expect(ours(data, 'pk')).toEqual(library(data, 'pk'));
      expect(isKplAggregated(data)).toBe(false);
    }
  });

  it('passes records of the magic and at most 16 more bytes through whole, where the library fails', () => {
    // The KCL's judgement: too short to hold a checksum, so not aggregated.
    for (let length = 4; length <= 20; length++) {
      const data = Buffer.concat([MAGIC, Buffer.alloc(length - 4, 7)]);
      expect(isKplAggregated(data)).toBe(false);
      expect(ours(data)).toEqual([{ partitionKey: 'outer', sequenceNumber: SEQUENCE, data: data.toString('base64') }]);
      expect(library(data)).toBeInstanceOf(Error);
    }
  });
});

describe('deaggregate on damaged records', () => {
  const inputs: Input[] = [
    { partitionKey: 'a', explicitHashKey: '12345', data: Buffer.from('first') },
    { partitionKey: 'b', data: Buffer.from('second') },
    { partitionKey: 'a', explicitHashKey: '67890', data: Buffer.from('third') },
  ];
  const bytes = aggregate(inputs);

  it('fails on a damaged checksum or body, as the library does', () => {
    for (let i = 4; i < bytes.length; i++) {
      const damaged = Buffer.from(bytes);
      damaged[i] ^= 0x01;
      expect(ours(damaged)).toMatch(/MD5/);
      expect(library(damaged)).toBeInstanceOf(Error);
    }
  });

  it('fails on every truncation: the checksum no longer matches', () => {
    for (let length = 21; length < bytes.length; length++) {
      expect(ours(bytes.subarray(0, length))).toMatch(/MD5/);
      expect(library(bytes.subarray(0, length))).toBeInstanceOf(Error);
    }
  });

  it('fails on a body truncated inside a field even with a checksum made for it', () => {
    const body = bytes.subarray(4, bytes.length - 16);
    const full = ours(bytes) as LibraryRecord[];
    let whole = 0;
    for (let cut = 1; cut < body.length; cut++) {
      const truncated = frame(body.subarray(0, cut));
      const got = ours(truncated);
      if (typeof got === 'string') {
        expect(got).toMatch(/truncated|bytes where|no data|no partition key|beyond/);
        continue;
      }
      // Cut between two fields: a shorter, valid aggregate that the library reads alike.
      whole++;
      expect(full.slice(0, got.length)).toEqual(got);
      expect(got).toEqual(libraryExpected(truncated, inputs.slice(0, got.length)));
    }
    // Two partition keys, two explicit hash keys, three records: seven fields, six cuts between.
    expect(whole).toBe(6);
  });
});

/** Protobuf encoding by hand, for bodies no encoder would write. */
function varint(value: number | bigint): Buffer {
  let v = BigInt(value);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

function key(field: number, wire: number): Buffer {
  return varint(field * 8 + wire);
}

function delimited(field: number, payload: Buffer | string): Buffer {
  const bytes = Buffer.from(payload);
  return Buffer.concat([key(field, 2), varint(bytes.length), bytes]);
}

function number(field: number, value: number | bigint): Buffer {
  return Buffer.concat([key(field, 0), varint(value)]);
}

/** Unknown fields of each wire type the reader steps over. */
const UNKNOWN = Buffer.concat([
  number(9, 2n ** 63n),
  key(10, 1),
  Buffer.alloc(8, 0xee),
  delimited(11, 'ignored'),
  key(12, 5),
  Buffer.alloc(4, 0xdd),
]);

function frame(body: Buffer): Buffer {
  return Buffer.concat([MAGIC, body, createHash('md5').update(body).digest()]);
}

function record(...fields: Buffer[]): Buffer {
  return delimited(3, Buffer.concat(fields));
}

describe('deaggregate on bodies no encoder writes', () => {
  it('skips unknown fields of wire types 0, 1, 2 and 5 at every level, as the library does', () => {
    const body = Buffer.concat([
      UNKNOWN,
      delimited(1, 'pk'),
      UNKNOWN,
      delimited(2, '99'),
      record(UNKNOWN, number(1, 0), UNKNOWN, number(2, 0), delimited(3, 'one'), UNKNOWN),
      record(number(1, 0), delimited(4, Buffer.concat([UNKNOWN, delimited(1, 'tag'), UNKNOWN])), delimited(3, 'two')),
      UNKNOWN,
    ]);
    const bytes = frame(body);
    const got = ours(bytes);
    expect(got).toEqual([
      { partitionKey: 'pk', explicitPartitionKey: '99', sequenceNumber: SEQUENCE, subSequenceNumber: 0, data: 'b25l' },
      // The library gives '99' here too (the absent index read as 0); see libraryExpected.
      {
        partitionKey: 'pk',
        explicitPartitionKey: undefined,
        sequenceNumber: SEQUENCE,
        subSequenceNumber: 1,
        data: 'dHdv',
      },
    ]);
    const [first, second] = got as LibraryRecord[];
    expect(library(bytes)).toEqual([first, { ...second, explicitPartitionKey: '99' }]);
  });

  it('reads records written before the tables, and tags with a key and value, as the library does', () => {
    const tags = delimited(4, Buffer.concat([delimited(1, 'env'), delimited(2, 'prod')]));
    const body = Buffer.concat([
      record(number(1, 1), delimited(3, 'one'), tags),
      delimited(1, 'first'),
      record(number(1, 0), delimited(3, ''), number(1, 1)),
      delimited(1, 'second'),
    ]);
    const bytes = frame(body);
    expect(ours(bytes)).toEqual(library(bytes));
    expect((ours(bytes) as LibraryRecord[]).map((r) => r.partitionKey)).toEqual(['second', 'second']);
  });

  it('reads an aggregate of no user records as none, as the library does', () => {
    const bytes = frame(delimited(1, 'unused'));
    expect(ours(bytes)).toEqual([]);
    expect(library(bytes)).toEqual([]);
  });

  const failures: [string, Buffer, RegExp, 'library fails too' | 'library reads on'][] = [
    ['a record without data', record(number(1, 0)), /no data/, 'library fails too'],
    [
      'a record without a partition key index',
      record(delimited(3, 'x')),
      /no partition key index/,
      'library fails too',
    ],
    [
      'a tag without its key',
      record(number(1, 0), delimited(3, 'x'), delimited(4, delimited(2, 'v'))),
      /tag without its key/,
      'library fails too',
    ],
    [
      'a varint over 10 bytes in an unknown field',
      Buffer.concat([key(9, 0), Buffer.alloc(10, 0xff), Buffer.from([1])]),
      /varint over 10 bytes/,
      'library reads on',
    ],
    [
      'a varint over 10 bytes in a known field',
      record(key(1, 0), Buffer.alloc(10, 0xff), Buffer.from([1]), delimited(3, 'x')),
      /varint over 10 bytes/,
      'library fails too',
    ],
    [
      'a record longer than the body',
      Buffer.concat([key(3, 2), varint(50), Buffer.alloc(3)]),
      /bytes where/,
      'library fails too',
    ],
    [
      'data longer than its record',
      delimited(3, Buffer.concat([number(1, 0), key(3, 2), varint(9), Buffer.from('abc')])),
      /bytes where/,
      'library fails too',
    ],
    ['a fixed64 cut short', Buffer.concat([key(9, 1), Buffer.alloc(5)]), /bytes where/, 'library fails too'],
    [
      'a partition key index beyond its table',
      record(number(1, 1), delimited(3, 'x')),
      /partition key index 1/,
      'library reads on',
    ],
    ['an index of 2^63', record(number(1, 2n ** 63n), delimited(3, 'x')), /partition key index/, 'library reads on'],
    [
      'an explicit hash key index beyond its table',
      record(number(1, 0), number(2, 0), delimited(3, 'x')),
      /explicit hash key index 0/,
      'library reads on',
    ],
    [
      'a partition key string cut short',
      Buffer.concat([key(1, 2), varint(10), Buffer.from('abc')]),
      /bytes where/,
      'library reads on',
    ],
    ['a record of another wire type', number(3, 1), /field 3: wire type 0, expected 2/, 'library fails too'],
    // protobufjs reads the varint 0 as the length of an empty string.
    ['a partition key of another wire type', number(1, 0), /field 1: wire type 0, expected 2/, 'library reads on'],
    ['field number 0', Buffer.concat([number(0, 1)]), /field number 0/, 'library reads on'],
    ['a group', Buffer.concat([key(9, 3), key(9, 4)]), /unsupported wire type 3/, 'library reads on'],
  ];

  it.each(failures)('fails on %s', (_name, tail, reason, libraryOutcome) => {
    const bytes = frame(Buffer.concat([delimited(1, 'pk'), tail]));
    expect(ours(bytes)).toMatch(reason);
    if (libraryOutcome === 'library fails too') expect(library(bytes)).toBeInstanceOf(Error);
    else expect(library(bytes)).not.toBeInstanceOf(Error);
  });
});
