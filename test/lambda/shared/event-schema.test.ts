import { describe, expect, it } from 'vitest';
import {
  asciiRecordText,
  decodeEvent,
  EVENT_LIMITS,
  type EventMaker,
  parseEventText,
  parseIsoTimestamp,
  readEvent,
  readParsedEvent,
  validateParsedEvent,
  validateEvent,
  windowStartMs,
} from '../../../lambda/shared/event-schema';
import { mulberry32 } from './sketches/random';

const base = { eventId: 'e-1', eventTime: '2026-11-23T09:44:12.345Z', type: 'page_view', key: 'user-1' };

describe('validateEvent', () => {
  it.each([
    [
      'a minimal event',
      base,
      { type: 'page_view', key: 'user-1', value: 1, eventTimeMs: Date.UTC(2026, 10, 23, 9, 44, 12, 345) },
    ],
    ['an explicit value', { ...base, value: -12.5 }, { value: -12.5 }],
    ['value zero', { ...base, value: 0 }, { value: 0 }],
    ['epoch milliseconds', { ...base, eventTime: 1_795_427_040_000 }, { eventTimeMs: 1_795_427_040_000 }],
    ['attributes object', { ...base, attributes: { a: 1 } }, { key: 'user-1' }],
    ['type with every allowed symbol', { ...base, type: 'a.b:c-d_E9' }, { type: 'a.b:c-d_E9' }],
    ['key of 256 characters', { ...base, key: 'k'.repeat(256) }, { key: 'k'.repeat(256) }],
    ['unicode key', { ...base, key: 'größe-東京' }, { key: 'größe-東京' }],
  ])('accepts %s', (_name, input, expected) => {
    const result = validateEvent(input);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.event).toMatchObject(expected);
  });

  it.each([
    ['a non-object', [1, 2], 'event:'],
    ['null', null, 'event:'],
    ['a missing eventId', { ...base, eventId: undefined }, 'eventId:'],
    ['an empty eventId', { ...base, eventId: '' }, 'eventId:'],
    ['an eventId of 129 characters', { ...base, eventId: 'x'.repeat(129) }, 'eventId:'],
    ['a numeric eventId', { ...base, eventId: 7 }, 'eventId:'],
    ['a missing type', { ...base, type: undefined }, 'type:'],
    ['a type with a space', { ...base, type: 'page view' }, 'type:'],
    ['a type with #', { ...base, type: 'a#b' }, 'type:'],
    ['a type of 65 characters', { ...base, type: 't'.repeat(65) }, 'type:'],
    ['a missing key', { ...base, key: undefined }, 'key:'],
    ['an empty key', { ...base, key: '' }, 'key:'],
    ['a key of 257 characters', { ...base, key: 'k'.repeat(257) }, 'key:'],
    ['a key with a newline', { ...base, key: 'a\nb' }, 'key:'],
    ['a key with DEL', { ...base, key: 'a\u007fb' }, 'key:'],
    ['a missing eventTime', { ...base, eventTime: undefined }, 'eventTime:'],
    ['an ISO time without offset', { ...base, eventTime: '2026-11-23T09:44:12' }, 'eventTime:'],
    ['a date only', { ...base, eventTime: '2026-11-23' }, 'eventTime:'],
    ['February 30th', { ...base, eventTime: '2026-02-30T00:00:00Z' }, 'eventTime:'],
    ['hour 24', { ...base, eventTime: '2026-11-23T24:00:00Z' }, 'eventTime:'],
    ['fractional epoch milliseconds', { ...base, eventTime: 1.5 }, 'eventTime:'],
    ['negative epoch milliseconds', { ...base, eventTime: -1 }, 'eventTime:'],
    ['epoch seconds as a string', { ...base, eventTime: '1795427040' }, 'eventTime:'],
    ['a string value', { ...base, value: '3' }, 'value:'],
    ['a null value', { ...base, value: null }, 'value:'],
    ['a value over 1e15', { ...base, value: 2e15 }, 'value:'],
    ['a value under DynamoDB precision', { ...base, value: 1e-200 }, 'value:'],
    ['array attributes', { ...base, attributes: [1] }, 'attributes:'],
  ])('rejects %s, naming the field', (_name, input, field) => {
    const result = validateEvent(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason.startsWith(field)).toBe(true);
  });
});

describe('parseIsoTimestamp', () => {
  it.each([
    ['2026-11-23T09:44:00Z', Date.UTC(2026, 10, 23, 9, 44)],
    ['2026-11-23T11:44:00+02:00', Date.UTC(2026, 10, 23, 9, 44)],
    ['2026-11-23T04:14:00.5-05:30', Date.UTC(2026, 10, 23, 9, 44, 0, 500)],
    ['2026-11-23T11:44+0200', Date.UTC(2026, 10, 23, 9, 44)],
    ['2026-11-23T09:44:00.123456789Z', Date.UTC(2026, 10, 23, 9, 44, 0, 123)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
  ])('reads %s', (text, expected) => {
    expect(parseIsoTimestamp(text)).toBe(expected);
  });

  it.each([
    '2025-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-11-23 09:44:00Z',
    '2026-11-23T09:60:00Z',
    'yesterday',
  ])('refuses %s', (text) => {
    expect(parseIsoTimestamp(text)).toBeUndefined();
  });

  it('reads a UTC time ending in Z as it reads the same time with +00:00, valid or not', () => {
    // The Z form has its own fast reader; the offset form takes the pattern. Digits run past their
    // ranges, fractions from none to ten digits, and now and then a character is not a digit.
    const random = mulberry32(11);
    const digits = (n: number, max: number) => String(Math.floor(random() * max)).padStart(n, '0');
    let valid = 0;
    for (let i = 0; i < 20_000; i++) {
      const fraction = Math.floor(random() * 11);
      let time =
        `${digits(4, 10_000)}-${digits(2, 14)}-${digits(2, 33)}T${digits(2, 25)}:${digits(2, 61)}:${digits(2, 61)}` +
        (fraction === 0 ? '' : `.${digits(fraction, 10 ** fraction)}`);
      if (random() < 0.1) {
        const at = Math.floor(random() * time.length);
        time = `${time.slice(0, at)}${'x-:.T 9'[Math.floor(random() * 7)]}${time.slice(at + 1)}`;
      }
      const fast = parseIsoTimestamp(`${time}Z`);
      expect(fast, time).toBe(parseIsoTimestamp(`${time}+00:00`));
      if (fast !== undefined) valid++;
    }
    expect(valid).toBeGreaterThan(5_000);
  });
});

describe('windowStartMs', () => {
  it.each([
    [Date.UTC(2026, 10, 23, 9, 44, 59, 999), 60, Date.UTC(2026, 10, 23, 9, 44)],
    [Date.UTC(2026, 10, 23, 9, 45), 60, Date.UTC(2026, 10, 23, 9, 45)],
    [Date.UTC(2026, 10, 23, 9, 44, 31), 300, Date.UTC(2026, 10, 23, 9, 40)],
    [Date.UTC(2026, 10, 23, 9, 44, 31), 3600, Date.UTC(2026, 10, 23, 9)],
  ])('aligns %i to a %i-second UTC window', (time, seconds, expected) => {
    expect(windowStartMs(time, seconds)).toBe(expected);
  });

  it('puts an offset time and its UTC twin in the same window', () => {
    const a = parseIsoTimestamp('2026-11-23T11:44:30+02:00')!;
    const b = parseIsoTimestamp('2026-11-23T09:44:10Z')!;
    expect(windowStartMs(a, 60)).toBe(windowStartMs(b, 60));
  });
});

describe('asciiRecordText', () => {
  const json = JSON.stringify(base);
  const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');
  const fields: EventMaker<unknown[]> = (...all) => all;
  const atLimit = JSON.stringify({ ...base, pad: '' });
  const padded = (extra: number): string =>
    JSON.stringify({ ...base, pad: 'x'.repeat(EVENT_LIMITS.maxEventBytes - atLimit.length + extra) });

  it.each([
    ['plain base64', b64(json), true],
    ['unpadded base64', b64(json).replace(/=+$/, ''), true],
    ['base64 with line breaks', b64(json).replace(/(.{60})/g, '$1\n'), true],
    ['not JSON', b64('hello'), true],
    ['a bad field', b64(JSON.stringify({ ...base, value: 'high' })), true],
    ['a record at the size limit', b64(padded(0)), true],
    ['a record one byte over it', b64(padded(1)), false],
    ['a record far over it', b64(padded(9_000)), false],
    ['non-ASCII text', b64(JSON.stringify({ ...base, key: 'größe' })), false],
    ['invalid UTF-8', b64(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), false],
    [
      'base64url characters',
      b64(Buffer.from([0xfb, 0xff, 0xbf]))
        .replace('+', '-')
        .replace('/', '_'),
      false,
    ],
    ['characters outside base64', `${b64(json).slice(0, 8)}*${b64(json).slice(8)}`, false],
    ['padding in the middle', `${b64('{}')}${b64(json)}`, false],
    ['one character too many', `${b64(json)}Q`, false],
  ])('answers %s as the bytes Buffer.from reads would, or leaves it to them', (_name, data, fast) => {
    const text = asciiRecordText(data);
    expect(text !== undefined).toBe(fast);
    if (text === undefined) return;
    const bytes = Buffer.from(data, 'base64');
    expect(Buffer.from(text, 'latin1').equals(bytes)).toBe(true);
    const parsed = parseEventText(text);
    expect(parsed).not.toBeUndefined();
    expect(readParsedEvent(parsed, fields)).toEqual(readEvent(bytes, fields));
  });

  it.each([
    ['an event', JSON.stringify({ eventId: 'a', eventTime: 1, type: 't', key: 'k' })],
    ['not JSON', '{"broken":'],
    ['a bad field', JSON.stringify({ eventId: 'a', eventTime: 'x', type: 't', key: 'k' })],
  ])('validates %s parsed from text as decodeEvent does from its bytes', (_name, text) => {
    const decoded = decodeEvent(Buffer.from(text));
    const validated = validateParsedEvent(parseEventText(text));
    expect(validated).toEqual(decoded.ok ? { ok: true, event: decoded.event } : decoded);
  });
});
