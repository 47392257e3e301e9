import { decodeEvent, windowStartMs } from '../shared/event-schema';

/** The document indexed in OpenSearch: one type per field, whatever form the producer used. */
export interface SearchDocument {
  readonly eventId: string;
  /** The event time, ISO-8601 UTC: what OpenSearch dashboards sort and filter by. */
  readonly '@timestamp': string;
  /** The same instant; the contract allows an ISO string or epoch ms, the index has one date type. */
  readonly eventTime: string;
  readonly windowStart: string;
  readonly type: string;
  readonly key: string;
  readonly value: number;
  /** Whether `value` was given, or is the contract's default of 1. */
  readonly valueGiven: boolean;
  readonly attributes?: Record<string, unknown>;
}

export type Transformed =
  { readonly ok: true; readonly document: SearchDocument } | { readonly ok: false; readonly reason: string };

/**
 * Normalizes one record for the index, or refuses it. OpenSearch's dynamic mapping fixes a field's
 * type from the first document it sees, so an `eventTime` that is a number in one record and a
 * string in the next would be rejected; here every field has one type, and records that break the
 * contract never reach the index.
 */
export function toSearchDocument(bytes: Buffer, windowSeconds: number): Transformed {
  const decoded = decodeEvent(bytes);
  if (!decoded.ok) return decoded;
  const { event, parsed } = decoded;
  const time = new Date(event.eventTimeMs).toISOString();
  return {
    ok: true,
    document: {
      eventId: parsed.eventId as string,
      '@timestamp': time,
      eventTime: time,
      windowStart: new Date(windowStartMs(event.eventTimeMs, windowSeconds)).toISOString(),
      type: event.type,
      key: event.key,
      value: event.value,
      valueGiven: parsed.value !== undefined,
      ...(parsed.attributes === undefined ? {} : { attributes: parsed.attributes as Record<string, unknown> }),
    },
  };
}
