import { DEFAULT_TOP_K } from '../declarations';
import { HeavyHitters } from '../sketches/heavy-hitters';
import { sketchKind } from './sketch-kind';

export const topK = sketchKind<HeavyHitters, string>({
  op: 'topK',
  input: 'string',
  create: (d) => new HeavyHitters(d.k ?? DEFAULT_TOP_K),
  decode: (bytes) => HeavyHitters.decode(bytes),
  answer: (s) => (s === undefined ? [] : s.top()),
});
