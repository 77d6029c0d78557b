// Proves that every place the code sends a reader ("See docs/x.md, section \"Y\"") exists: the file, and a heading of that name in it.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/shared/config';

const root = path.join(__dirname, '..', '..');

/** Every .ts file under src/, recursively. */
function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The headings of a markdown file, without their #s. */
function headingsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/^#{1,6}\s+(.+?)\s*$/gm)].map((match) => match[1]!);
}

/** The (file, section) pairs a text cites as `<file>.md, section "<heading>"`. */
function citationsIn(text: string): { file: string; section: string }[] {
  return [...text.matchAll(/([\w./-]+\.md), section "([^"]+)"/g)].map((match) => ({
    file: match[1]!,
    section: match[2]!,
  }));
}

describe('documentation cited by the code', () => {
  it('the missing-key error of a production start cites a section that exists', () => {
    let message = '';
    try {
      loadConfig({ NODE_ENV: 'production', METRICS_TOKEN: 'scrape-token-0123456789' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/No token verification key/);
    const citations = citationsIn(message);
    expect(citations).toHaveLength(1);
    const [{ file, section }] = citations as [{ file: string; section: string }];
    expect(fs.existsSync(path.join(root, file))).toBe(true);
    expect(headingsOf(file)).toContain(section);
  });

  it('every section cited anywhere in src/ exists', () => {
    const missing: string[] = [];
    for (const source of sourceFiles(path.join(root, 'src'))) {
      for (const { file, section } of citationsIn(fs.readFileSync(source, 'utf8'))) {
        if (!fs.existsSync(path.join(root, file)) || !headingsOf(file).includes(section))
          missing.push(`${path.relative(root, source)}: ${file}, section "${section}"`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('no message sends the reader to "the README, section ..." (a section name without a file to check)', () => {
    const vague = sourceFiles(path.join(root, 'src')).filter((source) =>
      /README, section/.test(fs.readFileSync(source, 'utf8')),
    );
    expect(vague).toEqual([]);
  });
});
