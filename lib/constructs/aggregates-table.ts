import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  type ITableV2,
  ProjectionType,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { AGGREGATE_ATTR as A, BY_TYPE_INDEX, BY_TYPE_PROJECTION } from '../../lambda/shared/aggregate-item';

export interface AggregatesTableProps {
  /**
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Running aggregates, one item per (type, key, window); layout in lambda/shared/aggregate-item.ts.
 * On-demand capacity, point-in-time recovery, KMS encryption, expiry through the TTL attribute.
 */
export class AggregatesTable extends Construct {
  readonly table: ITableV2;

  constructor(scope: Construct, id: string, props: AggregatesTableProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: A.pk, type: AttributeType.STRING },
      sortKey: { name: A.sk, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: A.expiresAt,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
      globalSecondaryIndexes: [
        {
          indexName: BY_TYPE_INDEX,
          partitionKey: { name: A.typeShard, type: AttributeType.STRING },
          sortKey: { name: A.windowKey, type: AttributeType.STRING },
          projectionType: ProjectionType.INCLUDE,
          nonKeyAttributes: BY_TYPE_PROJECTION,
        },
      ],
    });
  }
}
