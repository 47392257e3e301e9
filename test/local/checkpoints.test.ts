import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Checkpoints } from '../../local/checkpoints';

describe('Checkpoints', () => {
  it('survives a restart through its file and only moves forward', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cp-')), 'nested', 'aggregator.json');
    const a = new Checkpoints(file);
    expect(a.get('shardId-000000000000')).toBeUndefined();
    a.set('shardId-000000000000', '49650000000000000000000000000000000000000000000000000010');
    a.set('shardId-000000000000', '49650000000000000000000000000000000000000000000000000009');
    a.set('shardId-000000000001', '5');
    const b = new Checkpoints(file);
    expect(b.get('shardId-000000000000')).toBe('49650000000000000000000000000000000000000000000000000010');
    expect(b.get('shardId-000000000001')).toBe('5');
  });

  it('keeps positions in memory without a file', () => {
    const c = new Checkpoints();
    c.set('s', '7');
    expect(c.get('s')).toBe('7');
    expect(new Checkpoints().get('s')).toBeUndefined();
  });
});
