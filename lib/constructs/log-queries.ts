import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { CfnQueryDefinition } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * CloudWatch Logs Insights queries over the aggregator's log group, keyed by the name shown after
 * the folder. They read what the function writes: Powertools JSON lines (`level`, `message`, an
 * `error` object), the runtime's own `Invoke Error` and timeout lines, and the EMF line each batch
 * publishes its counts and `BatchDuration` in. The EMF line carries its dimensions as fields; the
 * query on it keeps the lines of `metricsStack` (the `stack` dimension), so the saved query reads one
 * stage even when it is run over more log groups than its own.
 */
export function aggregatorQueries(metricsStack: string): Readonly<Record<string, string>> {
  return {
    'errors by type': [
      'fields @timestamp, @message',
      '| filter level = "ERROR" or @message like /Invoke Error|Task timed out/',
      '| parse @message /"errorType":"(?<invokeErrorType>[^"]+)"/',
      '| parse @message /(?<timedOut>Task timed out)/',
      '| fields coalesce(error.name, invokeErrorType, timedOut, "other") as errorType',
      '| stats count(*) as errors, latest(@message) as example by errorType',
      '| sort errors desc',
    ].join('\n'),
    'poison records by reason': [
      'filter message = "poison records"',
      '| parse reason /^(?<field>[^:]+):/',
      '| stats sum(records) as poison, latest(@timestamp) as lastSeen by field, reason',
      '| sort poison desc',
      '| limit 100',
    ].join('\n'),
    'slowest batches': [
      `filter ispresent(BatchDuration) and stack = ${JSON.stringify(metricsStack)}`,
      '| fields @timestamp, BatchDuration, RecordsIn, UserRecords, PoisonRecords, AggregateWrites, ConditionalReplays, BatchLag, @logStream',
      '| sort BatchDuration desc',
      '| limit 25',
    ].join('\n'),
  };
}

export interface LogQueriesProps {
  /** The aggregator function's log group. */
  readonly logGroup: ILogGroup;
  /** Folder the queries are saved under in the Logs Insights console, e.g. the stack name. */
  readonly folder: string;
  /** The `stack` dimension of the aggregator's metrics: its stack name. */
  readonly metricsStack: string;
}

/** The saved Logs Insights queries of the aggregator (`AWS::Logs::QueryDefinition`). */
export class LogQueries extends Construct {
  readonly queries: readonly CfnQueryDefinition[];

  constructor(scope: Construct, id: string, props: LogQueriesProps) {
    super(scope, id);
    this.queries = Object.entries(aggregatorQueries(props.metricsStack)).map(
      ([name, queryString]) =>
        new CfnQueryDefinition(
          this,
          name.replace(/(^|\s)(\w)/g, (_, _s: string, c: string) => c.toUpperCase()),
          {
            name: `${props.folder}/aggregator ${name}`,
            queryString,
            logGroupNames: [props.logGroup.logGroupName],
          },
        ),
    );
  }
}
