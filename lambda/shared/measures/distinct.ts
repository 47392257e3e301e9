import { HyperLogLog } from '../sketches/hyperloglog';
import { sketchKind } from './sketch-kind';

export const distinct = sketchKind<HyperLogLog, string>({
  op: 'distinct',
  input: 'string',
  create: () => new HyperLogLog(),
  decode: (bytes) => HyperLogLog.decode(bytes),
  answer: (s) => (s === undefined ? 0 : s.estimate()),
});
