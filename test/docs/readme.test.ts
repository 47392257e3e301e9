import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockContent, blockMarkers } from '../../scripts/docs/blocks';
import { ROOT } from '../../scripts/docs/generate';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it('is a front door: at most 300 lines and 25 KB, the reference lives in docs/', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(300);
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(25 * 1024);
  });

  it('keeps the blocks npm run bench rewrites: the headline here, the cost table in docs/cost.md', () => {
    const headline = blockContent(readme, {
      start: '<!-- bench:headline:start -->',
      end: '<!-- bench:headline:end -->',
    });
    expect(headline).toMatch(/\| benchmark +\| result +\| target +\| verdict +\|/);
    const cost = readFileSync(join(ROOT, 'docs', 'cost.md'), 'utf8');
    expect(blockContent(cost, blockMarkers('cost'))).toMatch(/events\/s/);
  });

  it('shows the architecture diagram, the dashboard screenshot and the quick start', () => {
    expect(readme).toContain('```mermaid');
    expect(readme).toContain('](docs/images/dashboard.png)');
    for (const command of ['npm ci', 'npm start', 'npm test']) expect(readme).toContain(command);
  });
});
