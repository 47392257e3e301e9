import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

/** Which Chromium the browser test drives, and how it must be started. */
export interface ChromiumLaunch {
  readonly source: 'CHROMIUM_PATH' | 'machine' | 'package';
  readonly executablePath: string;
  /** The binary's own flags, before the test's. */
  readonly args: readonly string[];
  /** Variables the browser process needs beside the test's environment. */
  readonly env: Readonly<Record<string, string>>;
}

/** What `@sparticuz/chromium` runs on: it ships a Linux x86-64 binary only. */
const PACKAGE_PLATFORM = 'linux-x64';

/** `BROWSER_TEST_CHROMIUM`: `machine` or `package` takes only that one; unset tries the machine's, then the package's. */
export type ChromiumPreference = 'machine' | 'package' | undefined;

export const HOW_TO_POINT_AT_CHROME =
  'Set CHROMIUM_PATH to a Chromium or Chrome binary, e.g. on macOS ' +
  'CHROMIUM_PATH="/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" npm test.';

export interface Machine {
  readonly platform: string;
  readonly arch: string;
  readonly isExecutable: (path: string) => boolean;
}

const THIS_MACHINE: Machine = {
  platform: process.platform,
  arch: process.arch,
  isExecutable: (path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
};

function machineChromium(env: NodeJS.ProcessEnv, machine: Machine): string | undefined {
  const candidates = ['/usr/bin/chromium', ...(env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'chromium'))];
  return candidates.find((path) => path !== 'chromium' && machine.isExecutable(path));
}

/** The choice alone, in order: CHROMIUM_PATH, the machine's Chromium, the npm package's; or why there is none. */
export function chooseChromium(
  env: NodeJS.ProcessEnv,
  machine: Machine = THIS_MACHINE,
): { readonly source: ChromiumLaunch['source']; readonly path?: string } {
  const explicit = env.CHROMIUM_PATH;
  if (explicit !== undefined && explicit !== '') {
    if (!machine.isExecutable(explicit))
      throw new Error(`CHROMIUM_PATH=${explicit}: no executable there. ${HOW_TO_POINT_AT_CHROME}`);
    return { source: 'CHROMIUM_PATH', path: explicit };
  }
  const preference = env.BROWSER_TEST_CHROMIUM;
  if (preference !== undefined && preference !== '' && preference !== 'machine' && preference !== 'package') {
    throw new Error(`BROWSER_TEST_CHROMIUM=${preference}: expected machine or package`);
  }
  if (preference !== 'package') {
    const found = machineChromium(env, machine);
    if (found !== undefined) return { source: 'machine', path: found };
    if (preference === 'machine') {
      throw new Error(
        `BROWSER_TEST_CHROMIUM=machine: no chromium at /usr/bin/chromium or on PATH. ${HOW_TO_POINT_AT_CHROME}`,
      );
    }
  }
  if (`${machine.platform}-${machine.arch}` !== PACKAGE_PLATFORM) {
    throw new Error(
      `No Chromium for the browser test: none on this machine, and the npm package @sparticuz/chromium ships one ` +
        `for ${PACKAGE_PLATFORM} only (this is ${machine.platform}-${machine.arch}). ${HOW_TO_POINT_AT_CHROME}`,
    );
  }
  return { source: 'package' };
}

/** The glibc this process runs on, e.g. [2, 36]; undefined off glibc. */
function glibc(): [number, number] | undefined {
  const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
  const m = /^(\d+)\.(\d+)/.exec(header?.glibcVersionRuntime ?? '');
  return m === null ? undefined : [Number(m[1]), Number(m[2])];
}

/**
 * The package's headless Chromium, unpacked into the temporary folder on first use (about 200 MB,
 * seconds). Its binary needs NSS, NSPR and expat, which a fresh Debian or Ubuntu lacks until some
 * browser is installed; the package carries them too, built for Amazon Linux 2023, whose builds
 * need glibc 2.34 or later. Where that holds, the browser gets them first on its library path
 * (checked on Debian 12 with the system's copies hidden); elsewhere it relies on the system's.
 */
async function packagedChromium(): Promise<ChromiumLaunch> {
  const { default: chromium, inflate } = await import('@sparticuz/chromium');
  const executablePath = await chromium.executablePath();
  const env: Record<string, string> = {};
  const [major, minor] = glibc() ?? [0, 0];
  if (major > 2 || (major === 2 && minor >= 34)) {
    const bin = join(dirname(createRequire(__filename).resolve('@sparticuz/chromium')), '..', 'bin');
    const libraries = join(await inflate(join(bin, 'al2023.tar.br')), 'lib');
    const inherited = process.env.LD_LIBRARY_PATH;
    env.LD_LIBRARY_PATH =
      inherited === undefined || inherited === '' ? libraries : `${libraries}${delimiter}${inherited}`;
  }
  const fonts = join(tmpdir(), 'fonts');
  if (existsSync(fonts)) env.FONTCONFIG_PATH = fonts;
  return { source: 'package', executablePath, args: chromium.args, env };
}

export async function resolveChromium(env: NodeJS.ProcessEnv = process.env): Promise<ChromiumLaunch> {
  const choice = chooseChromium(env);
  if (choice.source === 'package') return packagedChromium();
  return { source: choice.source, executablePath: choice.path!, args: [], env: {} };
}
