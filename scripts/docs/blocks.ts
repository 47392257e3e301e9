import { format as prettierFormat, resolveConfig } from 'prettier';

/** The comment pair around a generated block: `<!-- gen:NAME:start -->` and `<!-- gen:NAME:end -->`. */
export function blockMarkers(name: string): { start: string; end: string } {
  return { start: `<!-- gen:${name}:start -->`, end: `<!-- gen:${name}:end -->` };
}

export class MissingBlockError extends Error {
  constructor(file: string, start: string) {
    super(`${file}: no ${start} ... end markers`);
    this.name = 'MissingBlockError';
  }
}

/** `text` with what lies between `start` and `end` replaced by `content`; throws when either marker is missing. */
export function replaceBetween(
  text: string,
  markers: { start: string; end: string },
  content: string,
  file: string,
): string {
  const from = text.indexOf(markers.start);
  const to = text.indexOf(markers.end, from);
  if (from < 0 || to < 0) throw new MissingBlockError(file, markers.start);
  return `${text.slice(0, from)}${markers.start}\n${content}\n${markers.end}${text.slice(to + markers.end.length)}`;
}

/** What lies between the markers, or undefined when they are missing. */
export function blockContent(text: string, markers: { start: string; end: string }): string | undefined {
  const from = text.indexOf(markers.start);
  const to = text.indexOf(markers.end, from);
  return from < 0 || to < 0 ? undefined : text.slice(from + markers.start.length, to);
}

/** Markdown as `npm run lint` (prettier --check) wants it, so a rewritten file passes the lint unchanged. */
export async function formatMarkdown(text: string, file: string): Promise<string> {
  const style = (await resolveConfig(file)) ?? {};
  return prettierFormat(text, { ...style, filepath: file });
}
