/**
 * Byte writer and reader shared by the sketch encodings. Varints are unsigned LEB128 and
 * cover every safe integer, because counts may pass 2^32 over a long window.
 */
export class ByteWriter {
  private buffer = new Uint8Array(256);
  private length = 0;

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  bytes(value: Uint8Array): void {
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
  }

  varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint out of range: ${value}`);
    this.reserve(8);
    // Division instead of bit shifts: shifts truncate to 32 bits.
    while (value >= 0x80) {
      this.buffer[this.length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.length++] = value;
  }

  /** Zigzag keeps small negative numbers short. */
  signedVarint(value: number): void {
    if (!Number.isSafeInteger(value) || Math.abs(value) >= 2 ** 52) {
      throw new RangeError(`signed varint out of range: ${value}`);
    }
    this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  float64(value: number): void {
    this.reserve(8);
    new DataView(this.buffer.buffer, this.buffer.byteOffset).setFloat64(this.length, value, true);
    this.length += 8;
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}

/** Every failure names the sketch so a bad item in a table is easy to trace. */
export class ByteReader {
  private position = 0;

  constructor(
    private readonly input: Uint8Array,
    private readonly what: string,
  ) {
    if (!(input instanceof Uint8Array)) this.fail('expected a Uint8Array');
  }

  get remaining(): number {
    return this.input.length - this.position;
  }

  fail(reason: string): never {
    throw new Error(`cannot decode ${this.what}: ${reason}`);
  }

  byte(): number {
    if (this.position >= this.input.length) this.fail('truncated');
    return this.input[this.position++];
  }

  bytes(length: number): Uint8Array {
    if (length > this.remaining) this.fail('truncated');
    const slice = this.input.subarray(this.position, this.position + length);
    this.position += length;
    return slice;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        // A zero final byte means padding: rejecting it keeps one encoding per state.
        if (byte === 0 && i > 0) this.fail('non-canonical varint');
        if (!Number.isSafeInteger(value)) this.fail('varint too large');
        return value;
      }
      scale *= 0x80;
    }
    return this.fail('varint too long');
  }

  signedVarint(): number {
    const zigzag = this.varint();
    return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  }

  float64(): number {
    const bytes = this.bytes(8);
    return new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0, true);
  }

  /** Trailing bytes mean the input is not what we wrote. */
  end(): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} unexpected trailing bytes`);
  }
}
