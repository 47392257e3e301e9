/** CloudWatch namespace of the pipeline's custom metrics (Powertools EMF). */
export const METRICS_NAMESPACE = 'StreamingPipeline';
export const AGGREGATOR_SERVICE = 'aggregator';

/** Kinesis stream names, as the API accepts them. */
export const STREAM_NAME_PATTERN = /^[a-zA-Z0-9_.-]{1,128}$/;
