import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/docs/generate';
import { anchors, brokenLinks, documentationFiles, links, slug } from '../../scripts/docs/links';

describe('link check', () => {
  it('every relative link, image and #anchor in README.md and docs/*.md resolves', () => {
    const files = documentationFiles(ROOT);
    expect(files.length).toBeGreaterThan(8);
    const broken = files.flatMap((f) => brokenLinks(f, ROOT));
    expect(broken, broken.join('\n')).toEqual([]);
  });
});

describe('GitHub heading anchors', () => {
  it.each([
    ['Event contract (v1)', 'event-contract-v1'],
    ['Local mode: `npm start`', 'local-mode-npm-start'],
    ['8. Tear down', '8-tear-down'],
    ["The search domain's name", 'the-search-domains-name'],
    ['Checking a run end to end: `npm run verify`', 'checking-a-run-end-to-end-npm-run-verify'],
    ['Exactly once, sketches included', 'exactly-once-sketches-included'],
    ['IAM: every role and what it may do', 'iam-every-role-and-what-it-may-do'],
    ['A [link](x.md) and **bold** text', 'a-link-and-bold-text'],
    ['snake_case and-dash', 'snake_case-and-dash'],
  ])('%s → #%s', (heading, expected) => {
    expect(slug(heading)).toBe(expected);
  });

  it('numbers repeated headings, skips code blocks, and takes <a id> anchors', () => {
    const found = anchors('# Title\n## Notes\n```\n# not a heading\n```\n## Notes\n<a id="custom"></a>\n');
    expect([...found].sort()).toEqual(['custom', 'notes', 'notes-1', 'title']);
  });
});

describe('links in a page', () => {
  it('finds inline links and images outside code, not inside it', () => {
    const found = links('See [a](a.md#x) and ![i](img.png "title").\n`[no](code.md)`\n```\n[no](block.md)\n```\n');
    expect(found.map((l) => l.target)).toEqual(['a.md#x', 'img.png']);
  });

  it('reports a missing file, a missing anchor and an anchor into a non-Markdown file', () => {
    const root = mkdtempSync(join(tmpdir(), 'links-'));
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'b.md'), '# B\n## Here\n');
    writeFileSync(join(root, 'docs', 'c.txt'), 'c');
    writeFileSync(
      join(root, 'docs', 'a.md'),
      '# A\n[ok](b.md#here) [self](#a) [web](https://example.com/x#y)\n[gone](nope.md)\n[bad](b.md#there)\n[txt](c.txt#y) [selfbad](#zzz)\n',
    );
    expect(brokenLinks(join(root, 'docs', 'a.md'), root)).toEqual([
      'docs/a.md:3: nope.md: no such file',
      'docs/a.md:4: b.md#there: no heading or anchor "#there" in docs/b.md',
      'docs/a.md:5: c.txt#y: an anchor into a file that is not Markdown',
      'docs/a.md:5: #zzz: no heading or anchor "#zzz" in docs/a.md',
    ]);
  });
});
