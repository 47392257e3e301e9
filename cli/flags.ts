import { parseArgs } from 'node:util';

/** A mistake on the command line: the tool prints it with its usage and exits 2, no stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One flag: what the parser needs, and what `--help` shows, from the same definition. */
export interface Flag {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** What the value is, as the usage shows it: `--rate N`. @default VALUE */
  readonly value?: string;
  /** What the flag does, in one line. */
  readonly help: string;
  /**
   * The value when the flag is absent: the parser applies it and the usage shows it. The flag is then
   * always present: a tool that must know whether it was given shows its default with defaultText.
   */
  readonly default?: string | boolean;
  /** The default as the usage words it, when it is not one value (it depends on another flag, or on the environment). */
  readonly defaultText?: string;
  /** A boolean that is on by default and turned off with `--no-<name>`. */
  readonly negatable?: boolean;
  /** Parsed but not shown: a flag kept only to say that it is gone. */
  readonly hidden?: boolean;
}

export type Flags = Readonly<Record<string, Flag>>;

/** What parseArgs takes; a Flag is one. */
type ParserFlag = Pick<Flag, 'type' | 'short' | 'default' | 'negatable'>;

export type FlagValues = Record<string, string | boolean | undefined>;

export interface Command {
  /** How it is started: `npm run loadgen --`. */
  readonly run: string;
  /**
   * The flags a run needs and how they combine, one line per form: `--stream NAME (--duration D | --count N)`.
   * Every `--flag` named must be one of `flags`; the others follow as `[options]`.
   */
  readonly synopsis?: readonly string[];
  /** What the tool does, in a sentence or two. */
  readonly about?: string;
  readonly flags: Flags;
  /** After the flags: exit codes, where the numbers come from. */
  readonly notes?: readonly string[];
}

/** `--help` and `-h`, which every tool takes. */
export const HELP_FLAG: Flag = { type: 'boolean', short: 'h', help: 'print this and exit' };

/** True when the command line asks for help, whatever else it holds: help never fails on another flag. */
export function helpRequested(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/**
 * Flags by name, strictly: an unknown flag or a missing value is a UsageError naming it, as
 * parseArgs words it ("Unknown option '--rat'"). `--help` is always known. Defaults are applied.
 */
export function parseFlags(argv: readonly string[], flags: Readonly<Record<string, ParserFlag>>): FlagValues {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, f] of Object.entries(flags)) {
    options[name] = {
      type: f.type,
      ...(f.short === undefined ? {} : { short: f.short }),
      ...(f.default === undefined ? {} : { default: f.default }),
    };
  }
  const allowNegative = Object.values(flags).some((f) => f.negatable === true);
  try {
    const { values } = parseArgs({ args: [...argv], strict: true, allowPositionals: false, allowNegative, options });
    // parseArgs accepts --no-x for every boolean once one is negatable: only the negatable ones may be.
    const negated = Object.entries(flags).find(([name, f]) => f.negatable !== true && argv.includes(`--no-${name}`));
    if (negated !== undefined) throw new UsageError(`Unknown option '--no-${negated[0]}'`);
    return values;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
}

function left(name: string, flag: Flag): string {
  const short = flag.short === undefined ? '    ' : `-${flag.short}, `;
  if (flag.type === 'boolean') return `${short}--${flag.negatable === true ? `[no-]${name}` : name}`;
  return `${short}--${name} ${flag.value ?? 'VALUE'}`;
}

function shownDefault(flag: Flag): string | undefined {
  if (flag.defaultText !== undefined) return flag.defaultText;
  if (flag.default === undefined || flag.default === false) return undefined;
  return flag.default === true ? 'on' : flag.default;
}

/** The usage text, made from the command's flags: what `--help` prints and a usage error follows with. */
export function usage(command: Command): string {
  const flags: [string, Flag][] = [...Object.entries(command.flags), ['help', HELP_FLAG]];
  for (const line of command.synopsis ?? []) {
    for (const [, name] of line.matchAll(/--([a-z0-9-]+)/g)) {
      // A wrong name here would print a flag the tool refuses: caught by each tool's --help test.
      if (!(name in command.flags)) throw new Error(`${command.run}: the synopsis names --${name}, which is no flag`);
    }
  }
  const forms = command.synopsis === undefined || command.synopsis.length === 0 ? [''] : command.synopsis;
  const lines = forms.map((form, i) =>
    [i === 0 ? 'Usage:' : '      ', command.run, form, '[options]'].filter((part) => part !== '').join(' '),
  );
  if (command.about !== undefined) lines.push('', command.about);
  const shown = flags.filter(([, f]) => f.hidden !== true);
  const width = Math.max(...shown.map(([name, f]) => left(name, f).length)) + 2;
  lines.push('', 'Options:');
  for (const [name, f] of shown) {
    const byDefault = shownDefault(f);
    lines.push(`  ${left(name, f).padEnd(width)}${f.help}${byDefault === undefined ? '' : ` (default: ${byDefault})`}`);
  }
  if (command.notes !== undefined && command.notes.length > 0) lines.push('', ...command.notes);
  return lines.join('\n');
}

export interface CliOutput {
  readonly out: Pick<NodeJS.WritableStream, 'write'>;
  readonly err: Pick<NodeJS.WritableStream, 'write'>;
}

/**
 * The start every tool shares: `--help` prints the usage on stdout (exit 0); a UsageError from
 * `parse` prints its message and the usage on stderr (exit 2). Otherwise, the options.
 */
export function parseCommandLine<T>(
  command: Command,
  argv: readonly string[],
  parse: (argv: readonly string[]) => T,
  io: CliOutput = { out: process.stdout, err: process.stderr },
): { readonly options: T } | { readonly exitCode: 0 | 2 } {
  if (helpRequested(argv)) {
    io.out.write(`${usage(command)}\n`);
    return { exitCode: 0 };
  }
  try {
    return { options: parse(argv) };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err.write(`${error.message}\n\n${usage(command)}\n`);
    return { exitCode: 2 };
  }
}
