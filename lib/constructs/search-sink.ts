import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SearchDelivery } from './search-delivery';
import { SearchDomain, type SearchDomainProps } from './search-domain';

export interface SearchSinkProps extends SearchDomainProps {
  readonly stream: IStream;
  /** Takes failed documents under `search-failed/` (the archive bucket). */
  readonly backupBucket: IBucket;
  /**
   * @default 60
   */
  readonly windowSeconds?: number;
  /**
   * @default 5
   */
  readonly bufferMiB?: number;
  /**
   * @default Duration.seconds(60)
   */
  readonly bufferInterval?: Duration;
  /**
   * @default Duration.minutes(5)
   */
  readonly retryDuration?: Duration;
}

/** The stream's search leg: the OpenSearch domain and the Firehose delivery that feeds it. */
export class SearchSink extends Construct {
  readonly domain: SearchDomain;
  readonly delivery: SearchDelivery;

  constructor(scope: Construct, id: string, props: SearchSinkProps) {
    super(scope, id);
    this.domain = new SearchDomain(this, 'Domain', props);
    this.delivery = new SearchDelivery(this, 'Delivery', {
      stream: props.stream,
      domain: this.domain.domain,
      backupBucket: props.backupBucket,
      windowSeconds: props.windowSeconds,
      bufferMiB: props.bufferMiB,
      bufferInterval: props.bufferInterval,
      retryDuration: props.retryDuration,
      ...(this.domain.vpc === undefined ||
      this.domain.subnets === undefined ||
      this.domain.clientSecurityGroup === undefined
        ? {}
        : {
            vpc: {
              vpc: this.domain.vpc,
              subnets: this.domain.subnets,
              securityGroup: this.domain.clientSecurityGroup,
            },
          }),
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // In the domain's own access policy, set when the domain is created; the delivery stream names
    // the domain, so CloudFormation creates it after the domain.
    this.domain.allowWriter(this.delivery.role);
    // The index template and the writer's role mapping exist before the first document arrives.
    this.delivery.deliveryStream.node.addDependency(this.domain.setup);
  }
}
