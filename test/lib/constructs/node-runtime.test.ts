import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { newestNodeRuntime } from '../../../lib/constructs/node-runtime';

describe('newestNodeRuntime', () => {
  it('is the highest nodejsNN.x that aws-cdk-lib lists', () => {
    const majors = Object.values(Runtime)
      .filter((r): r is Runtime => r instanceof Runtime)
      .map((r) => /^nodejs(\d+)\.x$/.exec(r.name)?.[1])
      .filter((m): m is string => m !== undefined)
      .map(Number);
    expect(newestNodeRuntime().name).toBe(`nodejs${Math.max(...majors)}.x`);
    expect(Number(/\d+/.exec(newestNodeRuntime().name)![0])).toBeGreaterThanOrEqual(24);
  });
});
