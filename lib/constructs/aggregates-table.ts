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
   * The `byType` index over `by_key` items: all keys of a type over a time range without reading
   * other types. Every `by_key` write then writes the index too, doubling its write units; the
   * dashboard reads per-type totals and top keys from declarations instead, so it is off by default.
   * @default false
   */
  readonly byTypeIndex?: boolean;
  /**
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Declared aggregates, one item per (aggregate, group, window size, window start); the layout is in
 * lambda/shared/aggregate-item.ts.
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
      globalSecondaryIndexes: !props.byTypeIndex
        ? []
        : [
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
