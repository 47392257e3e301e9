import { describe, expect, it } from 'vitest';
import { type Command, UsageError, helpRequested, parseCommandLine, parseFlags, usage } from '../../cli/flags';

const TOOL: Command = {
  run: 'npm run tool --',
  synopsis: ['--name NAME (--fast | --slow)'],
  about: 'Does one thing.',
  flags: {
    name: { type: 'string', value: 'NAME', help: 'what to work on' },
    fast: { type: 'boolean', help: 'quickly' },
    slow: { type: 'boolean', help: 'carefully' },
    rate: { type: 'string', value: 'N', help: 'per second', default: '50' },
    region: { type: 'string', value: 'R', help: 'AWS region', defaultText: 'AWS_REGION' },
    load: { type: 'boolean', help: 'send events', default: true, negatable: true },
    old: { type: 'string', help: 'gone', hidden: true },
  },
  notes: ['Exit 0, or 2 on a usage error.'],
};

function sink(): { write: (s: string) => boolean; text: () => string } {
  let text = '';
  return {
    write: (s: string) => {
      text += s;
      return true;
    },
    text: () => text,
  };
}

describe('command-line flags', () => {
  it('makes the usage from the flag definitions: synopsis, value names, defaults, help last, hidden flags left out', () => {
    expect(usage(TOOL)).toBe(
      [
        'Usage: npm run tool -- --name NAME (--fast | --slow) [options]',
        '',
        'Does one thing.',
        '',
        'Options:',
        '      --name NAME  what to work on',
        '      --fast       quickly',
        '      --slow       carefully',
        '      --rate N     per second (default: 50)',
        '      --region R   AWS region (default: AWS_REGION)',
        '      --[no-]load  send events (default: on)',
        '  -h, --help       print this and exit',
        '',
        'Exit 0, or 2 on a usage error.',
      ].join('\n'),
    );
  });

  it('refuses a synopsis that names a flag the tool does not take', () => {
    expect(() => usage({ ...TOOL, synopsis: ['--nme NAME'] })).toThrow(/--nme, which is no flag/);
  });

  it('parses strictly and applies the defaults of the same definitions', () => {
    expect(parseFlags(['--name', 'x', '--no-load'], TOOL.flags)).toMatchObject({ name: 'x', rate: '50', load: false });
    expect(parseFlags([], TOOL.flags)).toMatchObject({ rate: '50', load: true });
    expect(() => parseFlags(['--nme', 'x'], TOOL.flags)).toThrow(UsageError);
    expect(() => parseFlags(['--nme', 'x'], TOOL.flags)).toThrow("Unknown option '--nme'");
    expect(() => parseFlags(['--name'], TOOL.flags)).toThrow(/--name/);
    // Only a negatable boolean takes --no-.
    expect(() => parseFlags(['--no-fast'], TOOL.flags)).toThrow("Unknown option '--no-fast'");
  });

  it('sees --help and -h anywhere before --, even beside a flag that would fail', () => {
    expect(helpRequested(['--help'])).toBe(true);
    expect(helpRequested(['--bogus', '-h'])).toBe(true);
    expect(helpRequested(['--name', 'x'])).toBe(false);
    expect(helpRequested(['--', '--help'])).toBe(false);
  });

  it('prints the usage on stdout for --help (exit 0), and the mistake with the usage on stderr (exit 2)', () => {
    const parse = (argv: readonly string[]) => {
      const values = parseFlags(argv, TOOL.flags);
      if (values.name === undefined) throw new UsageError('--name: required');
      return values.name as string;
    };
    const help = { out: sink(), err: sink() };
    expect(parseCommandLine(TOOL, ['--bogus', '--help'], parse, help)).toEqual({ exitCode: 0 });
    expect(help.out.text()).toBe(`${usage(TOOL)}\n`);
    expect(help.err.text()).toBe('');

    const wrong = { out: sink(), err: sink() };
    expect(parseCommandLine(TOOL, [], parse, wrong)).toEqual({ exitCode: 2 });
    expect(wrong.err.text()).toBe(`--name: required\n\n${usage(TOOL)}\n`);
    expect(wrong.out.text()).toBe('');

    expect(parseCommandLine(TOOL, ['--name', 'n'], parse, wrong)).toEqual({ options: 'n' });
  });
});
