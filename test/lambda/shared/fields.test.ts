import { describe, expect, it } from 'vitest';
import {
  type EventFields,
  MAX_FIELD_CHARS,
  groupReader,
  numberReader,
  stringReader,
} from '../../../lambda/shared/fields';

function withAttributes(attributes?: Record<string, unknown>): EventFields {
  return { type: 'click', key: 'user-1', value: 2.5, ...(attributes === undefined ? {} : { attributes }) };
}

/** Attributes as JSON.parse makes them, so a "__proto__" key is an own property as it is in events. */
function parsed(json: string): EventFields {
  return withAttributes(JSON.parse(json) as Record<string, unknown>);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('groupReader', () => {
  it.each<[string, EventFields, string | null]>([
    ['type', withAttributes(), 'click'],
    ['key', withAttributes(), 'user-1'],
    ['attributes.page', withAttributes({ page: '/home' }), '/home'],
    ['attributes.page', withAttributes({ page: '' }), ''],
    ['attributes.page', withAttributes({ page: 42 }), '42'],
    ['attributes.page', withAttributes({ page: 1.5 }), '1.5'],
    ['attributes.page', withAttributes({ page: false }), 'false'],
    ['attributes.page', withAttributes(), null],
    ['attributes.page', withAttributes({}), null],
    ['attributes.page', withAttributes({ page: null }), null],
    ['attributes.page', withAttributes({ page: { path: '/' } }), null],
    ['attributes.page', withAttributes({ page: ['/'] }), null],
    // Names of Object.prototype members are attributes like any other, never inherited functions.
    ['attributes.constructor', withAttributes({}), null],
    ['attributes.toString', withAttributes({}), null],
    ['attributes.__proto__', withAttributes({}), null],
    ['attributes.__proto__', parsed('{"__proto__": "x"}'), 'x'],
  ])('%s of %j is %j', (field, event, expected) => {
    expect(groupReader(field)(event)).toBe(expected);
  });

  it('cuts long strings to MAX_FIELD_CHARS, so two values that differ only after that share a group', () => {
    const read = groupReader('attributes.page');
    const long = 'x'.repeat(MAX_FIELD_CHARS);
    expect(MAX_FIELD_CHARS).toBe(256);
    expect(read(withAttributes({ page: `${long}a` }))).toBe(long);
    expect(read(withAttributes({ page: `${long}b` }))).toBe(long);
    expect(read(withAttributes({ page: long }))).toBe(long);
  });

  // A cut through a surrogate pair leaves half a character: not valid UTF-8, so DynamoDB and the
  // sketches' encodings would see another string than the group held in memory.
  it('does not cut a surrogate pair in half', () => {
    const page = `${'x'.repeat(MAX_FIELD_CHARS - 1)}😀`;
    for (const read of [groupReader('attributes.page'), stringReader('attributes.page')]) {
      const value = read(withAttributes({ page }))!;
      expect(value.length).toBeLessThanOrEqual(MAX_FIELD_CHARS);
      expect(page.startsWith(value)).toBe(true);
      expect(value).not.toMatch(LONE_SURROGATE);
    }
  });
});

describe('stringReader', () => {
  it.each<[string, EventFields, string | undefined]>([
    ['key', withAttributes(), 'user-1'],
    ['value', withAttributes(), '2.5'],
    ['attributes.ref', withAttributes({ ref: 'google' }), 'google'],
    ['attributes.ref', withAttributes({ ref: 5 }), '5'],
    ['attributes.ref', withAttributes({ ref: true }), 'true'],
    ['attributes.ref', withAttributes({ ref: '' }), ''],
    // Unlike a group, an event without the value does not count at all.
    ['attributes.ref', withAttributes(), undefined],
    ['attributes.ref', withAttributes({ ref: null }), undefined],
    ['attributes.ref', withAttributes({ ref: { host: 'x' } }), undefined],
    ['attributes.ref', withAttributes({ ref: ['x'] }), undefined],
    ['attributes.hasOwnProperty', withAttributes({}), undefined],
  ])('%s of %j is %j', (field, event, expected) => {
    expect(stringReader(field)(event)).toBe(expected);
  });

  it('cuts long strings as groups are cut', () => {
    expect(stringReader('attributes.ref')(withAttributes({ ref: 'y'.repeat(300) }))).toBe('y'.repeat(256));
  });
});

describe('numberReader', () => {
  it.each<[string, EventFields, number | undefined]>([
    ['value', withAttributes(), 2.5],
    ['attributes.ms', withAttributes({ ms: 12 }), 12],
    ['attributes.ms', withAttributes({ ms: -3.5 }), -3.5],
    ['attributes.ms', withAttributes({ ms: 0 }), 0],
    // The event contract's bounds on `value`, inclusive.
    ['attributes.ms', withAttributes({ ms: 1e15 }), 1e15],
    ['attributes.ms', withAttributes({ ms: -1e15 }), -1e15],
    ['attributes.ms', withAttributes({ ms: 1e-100 }), 1e-100],
    ['attributes.ms', withAttributes({ ms: 1e15 + 0.25 }), undefined],
    ['attributes.ms', withAttributes({ ms: -1e16 }), undefined],
    ['attributes.ms', withAttributes({ ms: 1e-101 }), undefined],
    ['attributes.ms', withAttributes({ ms: Number.NaN }), undefined],
    ['attributes.ms', withAttributes({ ms: Number.POSITIVE_INFINITY }), undefined],
    ['attributes.ms', withAttributes({ ms: '12' }), undefined],
    ['attributes.ms', withAttributes({ ms: true }), undefined],
    ['attributes.ms', withAttributes({ ms: null }), undefined],
    ['attributes.ms', withAttributes({ ms: [12] }), undefined],
    ['attributes.ms', withAttributes(), undefined],
    ['attributes.valueOf', withAttributes({}), undefined],
  ])('%s of %j is %j', (field, event, expected) => {
    expect(numberReader(field)(event)).toBe(expected);
  });
});
