import { describe, expect, it } from 'vitest';
import { HOW_TO_POINT_AT_CHROME, type Machine, chooseChromium } from './chromium';

const linux = (executables: string[]): Machine => ({
  platform: 'linux',
  arch: 'x64',
  isExecutable: (path) => executables.includes(path),
});

describe("the browser test's Chromium", () => {
  it('is CHROMIUM_PATH when set, and says so when nothing runs there', () => {
    expect(chooseChromium({ CHROMIUM_PATH: '/opt/chrome' }, linux(['/opt/chrome', '/usr/bin/chromium']))).toEqual({
      source: 'CHROMIUM_PATH',
      path: '/opt/chrome',
    });
    expect(() => chooseChromium({ CHROMIUM_PATH: '/opt/none' }, linux([]))).toThrow(
      `CHROMIUM_PATH=/opt/none: no executable there. ${HOW_TO_POINT_AT_CHROME}`,
    );
  });

  it("else the machine's, /usr/bin/chromium or chromium on PATH", () => {
    expect(chooseChromium({}, linux(['/usr/bin/chromium']))).toEqual({ source: 'machine', path: '/usr/bin/chromium' });
    expect(chooseChromium({ PATH: '/bin:/snap/bin' }, linux(['/snap/bin/chromium']))).toEqual({
      source: 'machine',
      path: '/snap/bin/chromium',
    });
  });

  it("else the npm package's, on Linux x86-64; BROWSER_TEST_CHROMIUM=package skips the machine's", () => {
    expect(chooseChromium({ PATH: '/bin' }, linux([]))).toEqual({ source: 'package' });
    expect(chooseChromium({ BROWSER_TEST_CHROMIUM: 'package' }, linux(['/usr/bin/chromium']))).toEqual({
      source: 'package',
    });
    expect(() => chooseChromium({ BROWSER_TEST_CHROMIUM: 'machine' }, linux([]))).toThrow(/no chromium at/);
    expect(() => chooseChromium({ BROWSER_TEST_CHROMIUM: 'chrome' }, linux([]))).toThrow(/expected machine or package/);
  });

  it('elsewhere says how to point it at Chrome', () => {
    const mac: Machine = { platform: 'darwin', arch: 'arm64', isExecutable: () => false };
    expect(() => chooseChromium({}, mac)).toThrow(
      `No Chromium for the browser test: none on this machine, and the npm package @sparticuz/chromium ships one for linux-x64 only (this is darwin-arm64). ${HOW_TO_POINT_AT_CHROME}`,
    );
  });
});
