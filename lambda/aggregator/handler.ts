import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { dynamoDbItemClient, s3ObjectWriter } from '../shared/aws-clients';
import { type AggregatePlan, planAggregates } from '../shared/aggregate-plan';
import {
  AGGREGATOR_SERVICE,
  LOCAL_METRICS_STACK,
  METRICS_NAMESPACE,
  METRICS_STACK_ENV,
  aggregatorMetricDimensions,
} from '../shared/constants';
import { loadDeclarationsFile } from '../shared/declarations-file';
import { AggregatesStore } from './aggregates-store';
import { processBatch } from './batch-processor';
import type { InputRecord } from './core';
import { DeadLetterStore } from './dead-letter-store';
import { FailureRegistryStore } from './failure-registry-store';
import { readAggregatorEnv } from './env';

const logger = new Logger({ serviceName: AGGREGATOR_SERVICE });
// Every metric carries the stack's name (a default dimension survives each flush), so two stages in
// one account and Region publish separate metrics. Local mode sets no stack and disables metrics.
const metricsStack = process.env[METRICS_STACK_ENV] || LOCAL_METRICS_STACK;
const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: AGGREGATOR_SERVICE,
  defaultDimensions: aggregatorMetricDimensions(metricsStack),
});

// Built on first use rather than at import, so a missing variable fails the invocation
// with its name instead of failing the module load.
let deps:
  | { aggregates: AggregatesStore; deadLetters: DeadLetterStore; registry: FailureRegistryStore; plan: AggregatePlan }
  | undefined;

function dependencies(): NonNullable<typeof deps> {
  if (deps === undefined) {
    const env = readAggregatorEnv(process.env);
    const dynamoDb = dynamoDbItemClient();
    deps = {
      aggregates: new AggregatesStore(dynamoDb, env.tableName, {
        ttlDays: env.ttlDays,
        byTypeIndex: env.byTypeIndex,
      }),
      deadLetters: new DeadLetterStore(s3ObjectWriter(), env.deadLetterBucket),
      registry: new FailureRegistryStore(dynamoDb, env.tableName),
      // allowedLateness defaults to the table's TTL: an item is not written after it has expired.
      plan: planAggregates(loadDeclarationsFile(env.aggregatesFile), env.ttlDays * 86_400),
    };
  }
  return deps;
}

export function toInputRecords(event: KinesisStreamEvent): InputRecord[] {
  return event.Records.map((r) => ({
    // eventID is "<shardId>:<sequenceNumber>".
    shardId: r.eventID.slice(0, r.eventID.indexOf(':')),
    sequenceNumber: r.kinesis.sequenceNumber,
    partitionKey: r.kinesis.partitionKey,
    data: r.kinesis.data,
    approximateArrivalTimestamp: r.kinesis.approximateArrivalTimestamp,
  }));
}

export async function handler(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
  const { aggregates, deadLetters, registry, plan } = dependencies();
  const started = Date.now();
  const result = await processBatch(toInputRecords(event), aggregates, deadLetters, {
    plan,
    registry,
    onWriteError: (error, what) => logger.error('write failed after retries', { what, error }),
  });
  const s = result.stats;
  metrics.addMetric('RecordsIn', MetricUnit.Count, s.records);
  metrics.addMetric('UserRecords', MetricUnit.Count, s.userRecords);
  metrics.addMetric('PoisonRecords', MetricUnit.Count, s.poisonRecords);
  metrics.addMetric('AggregateWrites', MetricUnit.Count, s.aggregateWrites);
  metrics.addMetric('AggregateReads', MetricUnit.Count, s.aggregateReads);
  metrics.addMetric('ConditionalReplays', MetricUnit.Count, s.conditionalReplays);
  metrics.addMetric('LateEvents', MetricUnit.Count, s.lateEvents);
  metrics.addMetric('BatchLag', MetricUnit.Milliseconds, s.batchLagMs);
  // In the same EMF line as the counts above, so the slowest-batches query reads size and time together.
  metrics.addMetric('BatchDuration', MetricUnit.Milliseconds, Date.now() - started);
  metrics.publishStoredMetrics();
  // One line per distinct reason, not per record: a batch of 10,000 poison records logs a handful of lines.
  // INFO: a poison record is handled as designed (parked whole); the PoisonRecords alarm is the warning.
  for (const [reason, count] of result.poisonReasons) logger.info('poison records', { reason, records: count });
  for (const [aggregate, count] of result.lateByAggregate) logger.info('late events', { aggregate, events: count });
  if (s.poisonRecords > 0 || s.failedItems > 0 || s.failedPoisonWrites > 0 || s.conditionalReplays > 0) {
    logger.info('batch', { ...s, failedSequenceNumbers: result.failedSequenceNumbers });
  } else {
    logger.debug('batch', { ...s });
  }
  return batchResponse(result.failedSequenceNumbers);
}

/** The lowest failed sequence number as the one batch item failure: Lambda retries from there. */
export function batchResponse(failedSequenceNumbers: readonly string[]): KinesisStreamBatchResponse {
  let lowest: string | undefined;
  for (const s of failedSequenceNumbers) {
    if (lowest === undefined || BigInt(s) < BigInt(lowest)) lowest = s;
  }
  return { batchItemFailures: lowest === undefined ? [] : [{ itemIdentifier: lowest }] };
}
