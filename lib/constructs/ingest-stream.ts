import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type IStream, Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface IngestStreamProps {
  /**
   * @default 'on-demand'
   */
  readonly mode?: 'on-demand' | 'provisioned';
  /**
   * Shards in provisioned mode.
   * @default 1
   */
  readonly shardCount?: number;
  /**
   * @default Duration.hours(24)
   */
  readonly retention?: Duration;
  /**
   * `aws-managed` uses the `aws/kinesis` KMS key; `customer-managed` creates a rotated key.
   * @default 'aws-managed'
   */
  readonly encryption?: 'customer-managed' | 'aws-managed';
  /**
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The Kinesis Data Stream every producer writes to, encrypted with KMS. */
export class IngestStream extends Construct {
  readonly stream: IStream;
  /** The customer-managed key, when there is one; consumers need kms:Decrypt on it. */
  readonly key?: IKey;

  constructor(scope: Construct, id: string, props: IngestStreamProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const onDemand = (props.mode ?? 'on-demand') === 'on-demand';
    if (props.encryption === 'customer-managed') {
      this.key = new Key(this, 'Key', {
        description: 'Encrypts the ingest stream',
        enableKeyRotation: true,
        removalPolicy,
      });
    }
    this.stream = new Stream(this, 'Stream', {
      streamMode: onDemand ? StreamMode.ON_DEMAND : StreamMode.PROVISIONED,
      ...(onDemand ? {} : { shardCount: props.shardCount ?? 1 }),
      retentionPeriod: props.retention ?? Duration.hours(24),
      encryption: this.key === undefined ? StreamEncryption.MANAGED : StreamEncryption.KMS,
      ...(this.key === undefined ? {} : { encryptionKey: this.key }),
      removalPolicy,
    });
  }
}
