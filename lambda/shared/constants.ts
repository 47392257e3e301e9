/** CloudWatch namespace of the pipeline's custom metrics (Powertools EMF). */
export const METRICS_NAMESPACE = 'StreamingPipeline';
export const AGGREGATOR_SERVICE = 'aggregator';
