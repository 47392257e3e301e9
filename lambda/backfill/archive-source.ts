import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';
import { type ArchiveFormat, type ArchiveRow, type DecodeSink, decodeNdjson, deliver, rowEvent } from './core';

export interface ArchiveObject {
  readonly key: string;
  readonly size: number;
}

/** The archive bucket: its objects under a prefix, and their records. */
export class ArchiveSource {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async list(prefix: string): Promise<ArchiveObject[]> {
    const out: ArchiveObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) out.push({ key: o.Key!, size: o.Size ?? 0 });
      token = page.NextContinuationToken;
    } while (token !== undefined);
    return out;
  }

  async get(key: string): Promise<Buffer> {
    const result = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return Buffer.from(await result.Body!.transformToByteArray());
  }
}

/** GZIP begins with these two bytes; Firehose's GZIP objects may still be read without a `.gz` name. */
function isGzip(bytes: Buffer): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** An archive object's records, into the sink, by the format given. */
export async function decodeObject(bytes: Buffer, format: ArchiveFormat, sink: DecodeSink): Promise<void> {
  if (format === 'parquet') {
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const rows = (await parquetReadObjects({ file })) as ArchiveRow[];
    for (const row of rows) deliver(rowEvent(row), sink);
    return;
  }
  // Synchronous: the fold waits for the records anyway, and the thread pool's round trip costs more.
  decodeNdjson(isGzip(bytes) ? gunzipSync(bytes) : bytes, sink);
}
