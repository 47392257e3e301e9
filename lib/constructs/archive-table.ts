import { Stack, Token } from 'aws-cdk-lib';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** The Glue columns of the archive, from the event contract (v1). */
export const ARCHIVE_COLUMNS = [
  { name: 'eventid', type: 'string' },
  // ISO-8601 or epoch milliseconds in the contract: a string holds both.
  { name: 'eventtime', type: 'string' },
  { name: 'type', type: 'string' },
  { name: 'key', type: 'string' },
  { name: 'value', type: 'double' },
  // Free-form in the contract: kept as its JSON text.
  { name: 'attributes', type: 'string' },
] as const;

export const ARCHIVE_PARTITIONS = ['year', 'month', 'day', 'hour'] as const;
export const ARCHIVE_TABLE = 'events';

export type ArchiveFormat = 'gzip' | 'parquet';

export interface ArchiveTableProps {
  readonly bucket: IBucket;
  /** Where the objects are, e.g. `events/`. */
  readonly prefix: string;
  /**
   * `gzip`: NDJSON read with the OpenX JSON SerDe. `parquet`: written by Firehose's record format
   * conversion, which also takes its schema from this table.
   * @default 'gzip'
   */
  readonly format?: ArchiveFormat;
}

/**
 * The Glue database and table describing the archive: the event contract's columns and hourly
 * partitions found by partition projection (no crawler, no MSCK REPAIR).
 */
export class ArchiveTable extends Construct {
  readonly database: CfnDatabase;
  readonly table: CfnTable;
  readonly databaseName: string;
  readonly tableName = ARCHIVE_TABLE;

  constructor(scope: Construct, id: string, props: ArchiveTableProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    // Glue and Athena need names: made from the stack name, so dev and prod stacks never collide.
    const stackName = Stack.of(this).stackName;
    if (Token.isUnresolved(stackName)) throw new Error('ArchiveTable needs a stack with a concrete stack name');
    this.databaseName = `${stackName}_archive`.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase();
    const parquet = props.format === 'parquet';
    const location = `s3://${props.bucket.bucketName}/${props.prefix}`;

    this.database = new CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: { name: this.databaseName, description: 'Archive of the streaming pipeline' },
    });
    this.table = new CfnTable(this, 'Table', {
      catalogId: account,
      databaseName: this.databaseName,
      tableInput: {
        name: ARCHIVE_TABLE,
        description: `Every stream record, as archived by Firehose (${parquet ? 'Parquet' : 'GZIP NDJSON'})`,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: parquet ? 'parquet' : 'json',
          ...(parquet ? {} : { compressionType: 'gzip' }),
          'projection.enabled': 'true',
          'projection.year.type': 'integer',
          'projection.year.range': '2024,2124',
          'projection.month.type': 'integer',
          'projection.month.range': '1,12',
          'projection.month.digits': '2',
          'projection.day.type': 'integer',
          'projection.day.range': '1,31',
          'projection.day.digits': '2',
          'projection.hour.type': 'integer',
          'projection.hour.range': '0,23',
          'projection.hour.digits': '2',
          'storage.location.template': `${location}year=\${year}/month=\${month}/day=\${day}/hour=\${hour}/`,
        },
        partitionKeys: ARCHIVE_PARTITIONS.map((name) => ({ name, type: 'int' })),
        storageDescriptor: {
          location,
          columns: ARCHIVE_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
          ...(parquet
            ? {
                inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
                outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
                serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
              }
            : {
                inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
                outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
                serdeInfo: {
                  serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
                  // Poison lines stay in the archive; they must not fail a query over it.
                  parameters: { 'ignore.malformed.json': 'true', 'case.insensitive': 'true' },
                },
              }),
        },
      },
    });
    this.table.node.addDependency(this.database);
  }
}
