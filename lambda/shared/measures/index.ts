import type { MeasureOp } from '../declarations';
import { avg } from './avg';
import { count } from './count';
import { distinct } from './distinct';
import { max, min } from './extreme';
import type { MeasureKind } from './measure-kind';
import { quantiles } from './quantiles';
import { sum } from './sum';
import { topK } from './top-k';

export type { AnswerOptions, ExactUpdate, MeasureKind } from './measure-kind';

/** Every measure op; declarations.ts lists the same names in MEASURE_OPS (a test keeps them equal). */
export const MEASURES: Readonly<Record<MeasureOp, MeasureKind<unknown>>> = {
  count,
  sum,
  min,
  max,
  avg,
  distinct,
  quantiles,
  topK,
};
