import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where the shared capture corpus lives: $TCPSCOPE_CAPTURES, else ../shared/captures beside the repo. */
export function sharedCapturesDir(): string | undefined {
  const candidates = [process.env.TCPSCOPE_CAPTURES, resolve(process.cwd(), '../shared/captures')].filter(Boolean) as string[];
  return candidates.find((d) => existsSync(join(d, 'truth')));
}

export function listCaptures(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.(pcap|pcapng|cap)$/.test(f))
    .sort();
}

export interface Truth {
  packets: number;
  tcp_streams_tshark: number;
  tshark_read_errors: string | null;
  flag_counts: Record<string, number>;
  streams: unknown;
}

export function readTruth(dir: string, capture: string): Truth | undefined {
  const p = join(dir, 'truth', `${capture}.truth.json`);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Truth) : undefined;
}

/** Minimal RFC 4180 parser (quoted fields, doubled quotes, embedded newlines). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else {
      field += c;
      i++;
    }
  }
  if (field.length || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** The truth frames CSV as objects keyed by column name. */
export function readTruthFrames(dir: string, capture: string): Record<string, string>[] | undefined {
  const p = join(dir, 'truth', `${capture}.frames.csv`);
  if (!existsSync(p)) return undefined;
  const rows = parseCsv(readFileSync(p, 'utf8'));
  const header = rows.shift() ?? [];
  return rows.filter((r) => r.length > 1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}
