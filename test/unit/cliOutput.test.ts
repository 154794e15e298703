import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { byTime, pcap, tcpConversation } from '../support/builder';

const cli = resolve(process.env.TCPSCOPE_DIST || 'dist', 'cli.js');

test('the CLI writes all of a large listing into a pipe whose reader is slower than the writer', async () => {
  // A pipe holds 64 KiB: the CLI's writes into a full one come back short or with EAGAIN, and every byte must
  // still arrive, in order.
  const dir = mkdtempSync(join(tmpdir(), 'tcpscope-pipe-'));
  try {
    const path = join(dir, 'many.pcap');
    const convs = Array.from({ length: 300 }, (_, i) =>
      tcpConversation({ client: { ip: '10.0.0.1', port: 20000 + i }, server: { ip: '10.0.0.2', port: 80 }, start: 1_700_000_000 + i * 0.01 })
        .handshake()
        .send('client', 300)
        .ack('server')
        .close('client').records,
    );
    writeFileSync(path, pcap(byTime(...convs)));
    const args = [cli, 'packets', path, '--format', 'jsonl'];
    const expected = execFileSync(process.execPath, args, { maxBuffer: 1 << 28 });
    assert.ok(expected.length > 256 * 1024, `a listing of ${expected.length} bytes should outgrow the CLI's 256 KB buffer`);

    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    // Take one chunk at a time with a pause after each, so the pipe stays full for most of the run.
    child.stdout.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 1);
    });
    const ended = new Promise((done) => child.stdout.on('end', done));
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    await ended;
    assert.equal(code, 0);
    const got = Buffer.concat(chunks);
    assert.equal(got.length, expected.length);
    assert.ok(got.equals(expected), 'the piped listing differs from the captured one');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
