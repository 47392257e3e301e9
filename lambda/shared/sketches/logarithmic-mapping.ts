/**
 * DDSketch's logarithmic index mapping (Masson, Rim, Lee, "DDSketch: a fast and fully-mergeable
 * quantile sketch with relative-error guarantees", VLDB 2019): value v goes to bin
 * ceil(log_γ v) with γ = (1 + α) / (1 − α), and bin k stands for 2γ^k / (1 + γ), within α of
 * every value in it.
 *
 * Why our own: it is all QuantileSketch used of @datadog/sketches-js, which brought its stores,
 * its other mappings and the protobufjs its serialization requires into the aggregator bundle
 * (about 50 KB minified, for these few lines). It reproduces that library's LogarithmicMapping
 * (2.1.1, offset 0) operation for operation, so every key and value is the same double and
 * sketches stored by earlier versions read back unchanged; the tests check it against the library.
 * Math.pow, not `**`, as the library has it: the same double is the point.
 */
export class LogarithmicMapping {
  readonly relativeAccuracy: number;
  readonly gamma: number;
  /** The smallest value with a bin of its own: below it, a sketch counts zeros. */
  readonly minPossible: number;
  readonly maxPossible: number;
  /** 1 / ln γ, times ln 2 so that keys come from the faster log2: the library's two steps. */
  private readonly multiplier: number;
  /** 2 / (1 + γ), the factor from a bin's upper bound to the value it stands for. */
  private readonly centre: number;

  constructor(relativeAccuracy: number) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
      throw new RangeError(`relativeAccuracy must be in (0, 1), got ${relativeAccuracy}`);
    }
    this.relativeAccuracy = relativeAccuracy;
    const gammaMantissa = (2 * relativeAccuracy) / (1 - relativeAccuracy);
    this.gamma = 1 + gammaMantissa;
    let multiplier = 1 / Math.log1p(gammaMantissa);
    multiplier *= Math.log(2);
    this.multiplier = multiplier;
    this.centre = 2 / (1 + this.gamma);
    this.minPossible = Math.pow(2, -1023) * this.gamma;
    this.maxPossible = Number.MAX_VALUE / this.gamma;
  }

  /** The bin of a value in (minPossible, maxPossible). */
  key(value: number): number {
    // `+ 0` makes the -0 that ceil gives on (-1, 0] a 0, as the library's index offset does.
    return Math.ceil(Math.log2(value) * this.multiplier) + 0;
  }

  /** The value bin `key` stands for. */
  value(key: number): number {
    return Math.pow(2, key / this.multiplier) * this.centre;
  }
}
