import type { ObjectWriter } from '../shared/s3-object-writer';
import { DEAD_LETTER_PREFIX } from '../shared/constants';
import type { PoisonRecord } from './core';

/** What the dead-letter store keeps for one poison record: the record whole, and why. */
export interface DeadLetterDocument {
  readonly reason: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber?: number;
  readonly partitionKey: string;
  readonly approximateArrivalTimestamp: string;
  /** The user record's bytes, base64. */
  readonly data: string;
}

/**
 * One object per poison record at a key derived from its position, so a redelivered
 * record overwrites its own object instead of being stored (and counted) twice.
 */
export function deadLetterKey(p: PoisonRecord): string {
  const day = new Date(p.approximateArrivalTimestamp * 1000).toISOString().slice(0, 10);
  return `${DEAD_LETTER_PREFIX}dt=${day}/${p.shardId}/${p.sequenceNumber}-${p.subSequenceNumber ?? 0}.json`;
}

export function deadLetterDocument(p: PoisonRecord): DeadLetterDocument {
  return {
    reason: p.reason,
    shardId: p.shardId,
    sequenceNumber: p.sequenceNumber,
    ...(p.subSequenceNumber === undefined ? {} : { subSequenceNumber: p.subSequenceNumber }),
    partitionKey: p.partitionKey,
    approximateArrivalTimestamp: new Date(p.approximateArrivalTimestamp * 1000).toISOString(),
    data: p.data.toString('base64'),
  };
}

export class DeadLetterStore {
  constructor(
    private readonly s3: ObjectWriter,
    private readonly bucket: string,
  ) {}

  async put(p: PoisonRecord): Promise<void> {
    await this.s3.putObject({
      bucket: this.bucket,
      key: deadLetterKey(p),
      body: JSON.stringify(deadLetterDocument(p)),
      contentType: 'application/json',
    });
  }
}
