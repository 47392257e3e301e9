import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { type IStream, Stream, StreamConsumer, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
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

/** Kinesis consumer names: 1..128 of these characters (the RegisterStreamConsumer API reference). */
const CONSUMER_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;

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

  /**
   * Registers an enhanced fan-out consumer of the stream (`AWS::Kinesis::StreamConsumer`): a reader
   * that gets up to 2 MiB/s per shard of its own, pushed over HTTP/2 (SubscribeToShard) rather than
   * polled, and billed as enhanced fan-out (the Kinesis Data Streams pricing page). CloudFormation
   * requires a `ConsumerName`; it is `<stack name>-<reader>`, and Kinesis requires it unique per
   * stream only (API reference, RegisterStreamConsumer).
   * @param reader what reads through the consumer, e.g. `aggregator`
   */
  addConsumer(reader: string): StreamConsumer {
    const stackName = Stack.of(this).stackName;
    if (Token.isUnresolved(stackName)) throw new Error('IngestStream.addConsumer needs a concrete stack name');
    const name = `${stackName.slice(0, 127 - reader.length)}-${reader}`;
    if (!CONSUMER_NAME.test(name)) throw new Error(`not a Kinesis consumer name: "${name}"`);
    return new StreamConsumer(this, `${reader.charAt(0).toUpperCase()}${reader.slice(1)}Consumer`, {
      stream: this.stream,
      streamConsumerName: name,
    });
  }
}
