import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type FailedRange, parseFailedRange } from './core';

export interface Pointer {
  readonly range: FailedRange;
  /** Where it is kept: the object key, or the message id. */
  readonly id: string;
}

/** Where failed-batch pointers wait: the deployed SQS on-failure queue, or local mode's bucket. */
export interface PointerSource {
  readonly description: string;
  /** Pointers waiting, each once; unreadable ones are reported through `onBad` and left alone. */
  list(onBad: (id: string, problem: string) => void): Promise<Pointer[]>;
  /** Deletes a pointer whose range is applied. */
  remove(pointer: Pointer): Promise<void>;
}

/** Local mode's failed-batches bucket in s3rver: one JSON object per failed batch. */
export class S3PointerSource implements PointerSource {
  readonly description: string;

  constructor(
    private readonly s3: Pick<S3Client, 'send'>,
    private readonly bucket: string,
  ) {
    this.description = `s3://${bucket}`;
  }

  async list(onBad: (id: string, problem: string) => void): Promise<Pointer[]> {
    const out: Pointer[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        const body = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: o.Key }));
        const text = (await body.Body?.transformToString()) ?? '';
        try {
          out.push({ id: o.Key!, range: parseFailedRange(text, o.Key!) });
        } catch (error) {
          onBad(o.Key!, (error as Error).message);
        }
      }
      token = page.NextContinuationToken;
    } while (token !== undefined);
    return out;
  }

  async remove(pointer: Pointer): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: pointer.id }));
  }
}

export interface SqsPointerSourceOptions {
  /**
   * Seconds a received message stays hidden from other consumers while its range is redriven; after
   * it, an undeleted (failed or dry-run) message is back in the queue for the next run.
   * @default 900
   */
  readonly visibilityTimeoutSeconds?: number;
}

/** The deployed SQS on-failure queue: Lambda's invocation records, one message per failed batch. */
export class SqsPointerSource implements PointerSource {
  readonly description: string;
  private readonly receipts = new Map<string, string>();

  constructor(
    private readonly sqs: Pick<SQSClient, 'send'>,
    private readonly queueUrl: string,
    private readonly options: SqsPointerSourceOptions = {},
  ) {
    this.description = queueUrl;
  }

  async list(onBad: (id: string, problem: string) => void): Promise<Pointer[]> {
    const attributes = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    const waiting = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
    const out: Pointer[] = [];
    // The count is approximate: keep receiving until the queue answers empty, whatever it said.
    for (let empty = 0; empty < (waiting > 0 ? 2 : 1);) {
      const page = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: this.options.visibilityTimeoutSeconds ?? 900,
        }),
      );
      const messages = page.Messages ?? [];
      if (messages.length === 0) {
        empty++;
        continue;
      }
      empty = 0;
      for (const m of messages) {
        if (this.receipts.has(m.MessageId!)) continue;
        this.receipts.set(m.MessageId!, m.ReceiptHandle!);
        try {
          out.push({ id: m.MessageId!, range: parseFailedRange(m.Body ?? '', `message ${m.MessageId}`) });
        } catch (error) {
          onBad(m.MessageId!, (error as Error).message);
        }
      }
    }
    return out;
  }

  async remove(pointer: Pointer): Promise<void> {
    const receipt = this.receipts.get(pointer.id);
    if (receipt === undefined) throw new Error(`message ${pointer.id} was not received by this run`);
    await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receipt }));
    this.receipts.delete(pointer.id);
  }
}
