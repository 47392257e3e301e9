/** CloudWatch namespace of the pipeline's custom metrics (Powertools EMF). */
export const METRICS_NAMESPACE = 'StreamingPipeline';
export const AGGREGATOR_SERVICE = 'aggregator';

/**
 * The variable that gives the aggregator the name of its CloudFormation stack, published as the
 * `stack` dimension of every custom metric so that two stages in one account and Region never mix.
 */
export const METRICS_STACK_ENV = 'METRICS_STACK';
/** The `stack` dimension where no stack is deployed (local mode, tests): metrics are disabled there. */
export const LOCAL_METRICS_STACK = 'local';

/**
 * The full dimension set of every custom metric the aggregator publishes. CloudWatch treats each
 * unique combination of dimensions as a separate metric and returns statistics only for a
 * combination that was published (CloudWatch API Reference, GetMetricStatistics, `Dimensions`), so
 * the alarms, the dashboard widgets and the dashboard CLI query exactly this set.
 */
export function aggregatorMetricDimensions(stackName: string): { service: string; stack: string } {
  return { service: AGGREGATOR_SERVICE, stack: stackName };
}

/**
 * Where the aggregator writes poison records in the dead-letter bucket; the aggregator's role may
 * write only under it, and local mode and the dashboard count the objects under it.
 */
export const DEAD_LETTER_PREFIX = 'poison/';

/**
 * The index Firehose writes: `events-YYYY-MM-DD`, one per day (Firehose's OneDay rotation). The
 * search setup's index template and role mapping, and the domain's access policy, cover `events-*`.
 */
export const SEARCH_INDEX = 'events';

/** Kinesis stream names, as the API accepts them. */
export const STREAM_NAME_PATTERN = /^[a-zA-Z0-9_.-]{1,128}$/;
