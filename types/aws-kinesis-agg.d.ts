// The package exports RecordAggregator but its typings omit it.
import 'aws-kinesis-agg';

declare module 'aws-kinesis-agg' {
  export class RecordAggregator {
    constructor(onReadyCallback?: (err: Error | null, encoded?: EncodedRecord) => void);
    addUserRecord(record: { partitionKey: string; data: Buffer; explicitHashKey?: string }): void;
    checkIfUserRecordFits(record: { partitionKey: string; data: Buffer; explicitHashKey?: string }): boolean;
    build(): EncodedRecord | undefined;
    length(): number;
  }
}
