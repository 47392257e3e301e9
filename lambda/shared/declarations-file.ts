import * as path from 'node:path';
import { DEFAULT_AGGREGATES_FILE, type Declarations, DeclarationError, parseDeclarationsText } from './declarations';

// A builtin taken as CommonJS, not an ES import, for the aggregator's cold start: see signed-request.ts.
const { readFileSync } = process.getBuiltinModule('node:fs');

/** Reads and validates a declarations file; a missing file is a DeclarationError naming it. */
export function loadDeclarationsFile(file: string): Declarations {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DeclarationError(
      file,
      `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  return parseDeclarationsText(text, path.basename(file));
}

/** The repository's declarations file, beside package.json. */
export const PROJECT_AGGREGATES_FILE = path.join(__dirname, '..', '..', DEFAULT_AGGREGATES_FILE);

/** A CLI's `--aggregates PATH`, relative to the working directory; the repository's file by default. */
export function aggregatesFileOption(value: string | undefined): string {
  return value === undefined ? PROJECT_AGGREGATES_FILE : path.resolve(value);
}
