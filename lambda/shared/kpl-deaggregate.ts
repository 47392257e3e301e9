// A builtin taken as CommonJS, not an ES import, for the aggregator's cold start: see signed-request.ts.
const { createHash } = process.getBuiltinModule('node:crypto');

/**
 * De-aggregation of KPL-aggregated Kinesis records, in place of aws-kinesis-agg's deaggregateSync:
 * that library brings protobufjs and async into the aggregator bundle (about 110 KB minified) for a
 * three-message protobuf. The format, from the KPL's aggregation-format.md
 * (https://github.com/awslabs/amazon-kinesis-producer/blob/master/aggregation-format.md):
 *
 *   F3 89 9A C2 | protobuf AggregatedRecord | MD5 of that protobuf (16 bytes)
 *
 *   message AggregatedRecord {
 *     repeated string partition_key_table = 1;
 *     repeated string explicit_hash_key_table = 2;
 *     repeated Record records = 3;
 *   }
 *   message Record {
 *     required uint64 partition_key_index = 1;
 *     optional uint64 explicit_hash_key_index = 2;
 *     required bytes data = 3;
 *     repeated Tag tags = 4;
 *   }
 *   message Tag { required string key = 1; optional string value = 2; }
 *
 * The user records are those deaggregateSync gives, with these differences, each deliberate:
 * - `data` is the bytes, a view into the aggregated record's buffer (no copy), not base64: the
 *   caller has decoded the record once already. `sequenceNumber` is the enclosing record's, which
 *   the caller has; it is not repeated here.
 * - `explicitPartitionKey` is undefined for a user record sent without an explicit hash key; the
 *   library gives the table's first entry (protobufjs reads the absent index as 0).
 * - A record is aggregated only when it is longer than the magic and the checksum together, as
 *   the KCL judges it; shorter ones pass through whole. The MD5 is always checked.
 * - These make the whole aggregated record fail, where the library reads on: an index beyond
 *   its table (the library gives an undefined key; the KCL throws), a known field with another
 *   wire type than its declared one (protobufjs reads it as the declared type regardless), field
 *   number 0, and groups (wire types 3 and 4, which protobufjs skips; proto2 has them, the KPL
 *   never writes them).
 * - Tags are checked for their required key but not decoded: neither the library nor we return
 *   them.
 * As with the library, a damaged checksum, a truncated body, a varint over 10 bytes and a record
 * without its partition key index or data fail; unknown fields of wire types 0, 1, 2 and 5 are
 * skipped; of a non-repeated field given twice, the last value wins.
 */

export interface UserRecord {
  readonly partitionKey: string;
  readonly explicitPartitionKey: string | undefined;
  /** Position in the aggregated record; undefined for a record that was not aggregated. */
  readonly subSequenceNumber: number | undefined;
  readonly data: Buffer;
}

const MAGIC = [0xf3, 0x89, 0x9a, 0xc2] as const;
const MAGIC_BYTES = MAGIC.length;
const DIGEST_BYTES = 16;

/** Whether `bytes` is a KPL-aggregated record: four byte compares, no allocation. */
export function isKplAggregated(bytes: Uint8Array): boolean {
  return (
    bytes.length > MAGIC_BYTES + DIGEST_BYTES &&
    bytes[0] === MAGIC[0] &&
    bytes[1] === MAGIC[1] &&
    bytes[2] === MAGIC[2] &&
    bytes[3] === MAGIC[3]
  );
}

/**
 * The user records of a Kinesis record's decoded data, in order: one per user record of a
 * KPL-aggregated record, else the record itself. On a damaged aggregated record, the reason.
 */
export function deaggregate(bytes: Buffer, partitionKey: string): UserRecord[] | string {
  if (!isKplAggregated(bytes)) {
    return [{ partitionKey, explicitPartitionKey: undefined, subSequenceNumber: undefined, data: bytes }];
  }
  const bodyEnd = bytes.length - DIGEST_BYTES;
  const digest = createHash('md5').update(bytes.subarray(MAGIC_BYTES, bodyEnd)).digest();
  if (digest.compare(bytes, bodyEnd) !== 0) return 'MD5 checksum mismatch';
  try {
    return readAggregatedRecord(bytes, MAGIC_BYTES, bodyEnd);
  } catch (e) {
    if (e instanceof Malformed) return e.message;
    throw e;
  }
}

class Malformed extends Error {}

/** The reader's position in the buffer being read: one record is read at a time, synchronously. */
let at = 0;
/** The wire type of the field whose key `fieldOf` read last. */
let wire = 0;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

function readAggregatedRecord(buf: Buffer, start: number, end: number): UserRecord[] {
  const partitionKeys: string[] = [];
  const hashKeys: string[] = [];
  const keyIndexes: number[] = [];
  const hashKeyIndexes: number[] = [];
  const data: Buffer[] = [];
  at = start;
  while (at < end) {
    const field = fieldOf(buf, end);
    if (field === 1 || field === 2) {
      const length = lengthOf(buf, end, field);
      (field === 1 ? partitionKeys : hashKeys).push(buf.toString('utf8', at, at + length));
      at += length;
    } else if (field === 3) {
      const length = lengthOf(buf, end, field);
      readRecord(buf, at + length, data.length, keyIndexes, hashKeyIndexes, data);
    } else {
      skip(buf, end, field);
    }
  }
  const records = new Array<UserRecord>(data.length);
  for (let i = 0; i < data.length; i++) {
    const partitionKey = partitionKeys[keyIndexes[i]];
    if (partitionKey === undefined) {
      throw new Malformed(
        `record ${i}: partition key index ${keyIndexes[i]} beyond a table of ${partitionKeys.length}`,
      );
    }
    const hashKeyIndex = hashKeyIndexes[i];
    const explicitPartitionKey = hashKeyIndex < 0 ? undefined : hashKeys[hashKeyIndex];
    if (hashKeyIndex >= 0 && explicitPartitionKey === undefined) {
      throw new Malformed(`record ${i}: explicit hash key index ${hashKeyIndex} beyond a table of ${hashKeys.length}`);
    }
    records[i] = { partitionKey, explicitPartitionKey, subSequenceNumber: i, data: data[i] };
  }
  return records;
}

/** Reads one Record message up to `end`, appending its fields to the columns. */
function readRecord(
  buf: Buffer,
  end: number,
  index: number,
  keyIndexes: number[],
  hashKeyIndexes: number[],
  data: Buffer[],
): void {
  let keyIndex = -1;
  let hashKeyIndex = -1;
  let bytes: Buffer | undefined;
  while (at < end) {
    const field = fieldOf(buf, end);
    if (field === 1 || field === 2) {
      expectWire(WIRE_VARINT, field);
      const value = varint(buf, end);
      if (field === 1) keyIndex = value;
      else hashKeyIndex = value;
    } else if (field === 3) {
      const length = lengthOf(buf, end, field);
      bytes = buf.subarray(at, at + length);
      at += length;
    } else if (field === 4) {
      const length = lengthOf(buf, end, field);
      checkTag(buf, at + length, index);
    } else {
      skip(buf, end, field);
    }
  }
  if (keyIndex < 0) throw new Malformed(`record ${index}: no partition key index`);
  if (bytes === undefined) throw new Malformed(`record ${index}: no data`);
  keyIndexes.push(keyIndex);
  hashKeyIndexes.push(hashKeyIndex);
  data.push(bytes);
}

/** A Tag message up to `end`: well formed, with its required key. */
function checkTag(buf: Buffer, end: number, index: number): void {
  let hasKey = false;
  while (at < end) {
    const field = fieldOf(buf, end);
    if (field === 1 || field === 2) {
      const length = lengthOf(buf, end, field);
      at += length;
      hasKey ||= field === 1;
    } else {
      skip(buf, end, field);
    }
  }
  if (!hasKey) throw new Malformed(`record ${index}: a tag without its key`);
}

/** Reads a field's key: its field number, and its wire type into `wire`. */
function fieldOf(buf: Buffer, end: number): number {
  const key = varint(buf, end);
  wire = key % 8;
  return (key - wire) / 8;
}

/** An unsigned LEB128 varint of at most 10 bytes; exact up to 2^53, which every index is below. */
function varint(buf: Buffer, end: number): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (at >= end) throw new Malformed(`truncated varint at byte ${at}`);
    const byte = buf[at++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 0x80;
  }
  throw new Malformed(`varint over 10 bytes at byte ${at}`);
}

/**
 * The length of a length-delimited field, checked against `end`; `at` is then at its first byte,
 * so `at + lengthOf(...)` would be wrong: read the length first.
 */
function lengthOf(buf: Buffer, end: number, field: number): number {
  expectWire(WIRE_LENGTH, field);
  return within(varint(buf, end), end, field);
}

function within(length: number, end: number, field: number): number {
  if (length > end - at) throw new Malformed(`field ${field}: ${length} bytes where ${end - at} remain`);
  return length;
}

function expectWire(expected: number, field: number): void {
  if (wire !== expected) throw new Malformed(`field ${field}: wire type ${wire}, expected ${expected}`);
}

/** Steps over a field this reader does not know. */
function skip(buf: Buffer, end: number, field: number): void {
  if (field === 0) throw new Malformed(`field number 0 at byte ${at}`);
  let length: number;
  if (wire === WIRE_VARINT) {
    varint(buf, end);
    return;
  } else if (wire === WIRE_LENGTH) {
    length = lengthOf(buf, end, field);
  } else if (wire === WIRE_FIXED64) {
    length = within(8, end, field);
  } else if (wire === WIRE_FIXED32) {
    length = within(4, end, field);
  } else {
    throw new Malformed(`field ${field}: unsupported wire type ${wire}`);
  }
  at += length;
}
