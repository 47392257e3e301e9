import { type AggregatePlan, type PlannedAggregate } from '../shared/aggregate-plan';
import { parseIsoTimestamp } from '../shared/event-schema';
import { type ArchiveFormat, type Slice, parseSlice } from './core';

export const FORMATS = ['auto', 'gzip', 'parquet'] as const;

/** What one backfill slice is asked to do, as the CLI's flags and the state machine's input say it. */
export interface SliceRequestInput {
  readonly aggregate?: unknown;
  readonly from?: unknown;
  readonly to?: unknown;
  /** `i/N`. */
  readonly slice?: unknown;
  readonly format?: unknown;
}

export interface SliceRequest {
  readonly aggregate: PlannedAggregate;
  readonly fromMs: number;
  readonly toMs: number;
  readonly slice: Slice;
  readonly format: ArchiveFormat | 'auto';
}

export class RequestError extends Error {
  override readonly name = 'RequestError';
}

/**
 * Checks a request against the declarations; each mistake is named as the caller spells the field
 * (`--from` on the command line, `from` in the state machine's input).
 */
export function parseSliceRequest(
  input: SliceRequestInput,
  plan: AggregatePlan,
  fieldName: (field: string) => string = (f) => f,
): SliceRequest {
  const text = (field: keyof SliceRequestInput, required: boolean): string | undefined => {
    const v = input[field];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v === '') throw new RequestError(`${fieldName(field)}: required`);
    return v;
  };
  const name = text('aggregate', true)!;
  const aggregate = plan.aggregates.find((a) => a.name === name);
  if (aggregate === undefined) {
    throw new RequestError(
      `${fieldName('aggregate')}: no declaration "${name}"; declared: ${plan.aggregates.map((a) => a.name).join(', ')}`,
    );
  }
  const time = (field: 'from' | 'to'): number => {
    const raw = text(field, true)!;
    const ms = parseIsoTimestamp(raw);
    if (ms === undefined)
      throw new RequestError(
        `${fieldName(field)}: expected ISO-8601 with an offset, e.g. 2026-11-01T00:00:00Z, got "${raw}"`,
      );
    return ms;
  };
  const fromMs = time('from');
  const toMs = time('to');
  if (!(toMs > fromMs)) throw new RequestError(`${fieldName('to')}: must be later than ${fieldName('from')}`);
  const sliceText = text('slice', false);
  const slice = sliceText === undefined ? { index: 1, count: 1 } : parseSlice(sliceText);
  if (slice === undefined)
    throw new RequestError(`${fieldName('slice')}: expected i/N with 1 <= i <= N, e.g. 2/8, got "${sliceText}"`);
  const format = text('format', false) ?? 'auto';
  if (!(FORMATS as readonly string[]).includes(format))
    throw new RequestError(`${fieldName('format')}: must be one of ${FORMATS.join(', ')}, got "${format}"`);
  return { aggregate, fromMs, toMs, slice, format: format as SliceRequest['format'] };
}
