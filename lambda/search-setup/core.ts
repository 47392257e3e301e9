import { SEARCH_INDEX } from '../shared/constants';

export const INDEX_TEMPLATE_NAME = 'pipeline-events';
/** The OpenSearch security role the Firehose role is mapped to when fine-grained access control is on. */
export const WRITER_ROLE = 'pipeline_writer';
/** Built-in read-only role the optional reader role is mapped to. */
export const READER_ROLE = 'readall';

/**
 * Explicit mappings for the documents the search transform writes. Dynamic mapping would fix
 * `value` as `long` when the first document of the day holds an integer, and then truncate every
 * fraction after it; free-form `attributes` would add a field per producer key until the index
 * hits its field limit. Unknown top-level fields are kept in `_source` but not indexed.
 */
export function indexTemplate(shards: number, replicas: number): Record<string, unknown> {
  return {
    index_patterns: [`${SEARCH_INDEX}-*`],
    priority: 100,
    template: {
      settings: {
        number_of_shards: shards,
        number_of_replicas: replicas,
        // Slow logs are published to CloudWatch, but OpenSearch writes none until thresholds are set.
        'index.search.slowlog.threshold.query.warn': '5s',
        'index.search.slowlog.threshold.query.info': '2s',
        'index.indexing.slowlog.threshold.index.warn': '5s',
        'index.indexing.slowlog.threshold.index.info': '2s',
      },
      mappings: {
        dynamic: false,
        properties: {
          '@timestamp': { type: 'date', format: 'strict_date_optional_time' },
          eventTime: { type: 'date', format: 'strict_date_optional_time' },
          windowStart: { type: 'date', format: 'strict_date_optional_time' },
          eventId: { type: 'keyword' },
          type: { type: 'keyword' },
          key: { type: 'keyword' },
          value: { type: 'double' },
          valueGiven: { type: 'boolean' },
          // One field for any shape of attributes: searchable by dotted path, no mapping growth.
          attributes: { type: 'flat_object' },
        },
      },
    },
    _meta: { managedBy: 'streaming-analytics-pipeline' },
  };
}

/**
 * The role AWS documents for a Firehose delivery role under fine-grained access control, limited
 * to the `events-*` indices: bulk writes, creating the day's index, and the mapping and stats reads
 * Firehose makes before delivering.
 */
export function writerRole(): Record<string, unknown> {
  return {
    cluster_permissions: ['cluster_composite_ops', 'cluster_monitor'],
    index_permissions: [{ index_patterns: [`${SEARCH_INDEX}-*`], allowed_actions: ['create_index', 'manage', 'crud'] }],
  };
}

export interface SetupProperties {
  /** Domain endpoint host, without scheme. */
  readonly endpoint: string;
  readonly fineGrainedAccessControl: boolean;
  readonly writerRoleArn: string;
  /** Empty when no reader role is configured. */
  readonly readerRoleArn: string;
  readonly shards: number;
  readonly replicas: number;
}

export interface PlannedRequest {
  readonly method: 'PUT';
  readonly path: string;
  readonly body: Record<string, unknown>;
}

/**
 * Every request is an idempotent PUT of the whole definition, so Create and Update run the same
 * plan and a retried deployment converges.
 */
export function setupPlan(p: SetupProperties): PlannedRequest[] {
  const plan: PlannedRequest[] = [
    { method: 'PUT', path: `/_index_template/${INDEX_TEMPLATE_NAME}`, body: indexTemplate(p.shards, p.replicas) },
  ];
  if (!p.fineGrainedAccessControl) return plan;
  plan.push(
    { method: 'PUT', path: `/_plugins/_security/api/roles/${WRITER_ROLE}`, body: writerRole() },
    {
      method: 'PUT',
      path: `/_plugins/_security/api/rolesmapping/${WRITER_ROLE}`,
      body: { backend_roles: [p.writerRoleArn] },
    },
  );
  if (p.readerRoleArn !== '') {
    plan.push({
      method: 'PUT',
      path: `/_plugins/_security/api/rolesmapping/${READER_ROLE}`,
      body: { backend_roles: [p.readerRoleArn] },
    });
  }
  return plan;
}

/** Reads the custom resource's properties (CloudFormation passes every value as a string). */
export function parseSetupProperties(raw: Record<string, unknown>): SetupProperties {
  const text = (name: string, allowEmpty = false): string => {
    const v = raw[name];
    if (typeof v !== 'string' || (!allowEmpty && v === '')) {
      throw new Error(`${name}: expected a string, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const int = (name: string): number => {
    const v = Number(raw[name]);
    if (!Number.isInteger(v) || v < 0)
      throw new Error(`${name}: expected a whole number, got ${JSON.stringify(raw[name])}`);
    return v;
  };
  const fgac = text('FineGrainedAccessControl');
  if (fgac !== 'true' && fgac !== 'false')
    throw new Error(`FineGrainedAccessControl: expected true or false, got "${fgac}"`);
  return {
    endpoint: text('Endpoint').replace(/^https?:\/\//, ''),
    fineGrainedAccessControl: fgac === 'true',
    writerRoleArn: text('WriterRoleArn'),
    readerRoleArn: text('ReaderRoleArn', true),
    shards: int('Shards'),
    replicas: int('Replicas'),
  };
}
