import { writeSync } from 'node:fs';

/**
 * Buffered stdout for large listings: one write per 256 KB instead of one per line, and a closed pipe
 * (`tcpscope packets big.pcap | head`) ends the program quietly instead of with an EPIPE trace.
 */
export class Output {
  private parts: string[] = [];
  private size = 0;
  private closed = false;
  private queued = false;

  constructor(private readonly stream: NodeJS.WriteStream) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') {
        this.closed = true;
        process.exit(0);
      }
    });
  }

  write(s: string): void {
    if (this.closed) return;
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 256 * 1024) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0 || this.closed) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (this.queued) {
      // Once anything waits in the stream's queue, everything after it must queue too, or lines would swap.
      this.stream.write(text);
      return;
    }
    const bytes = Buffer.from(text, 'utf8');
    let done = 0;
    try {
      // Synchronous so output order and memory stay bounded while the analysis keeps running. A pipe takes what
      // fits in its buffer: writeSync may write part of the bytes, so go on from where it stopped.
      while (done < bytes.length) done += writeSync((this.stream as unknown as { fd: number }).fd, bytes, done, bytes.length - done);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') {
        this.closed = true;
        process.exit(0);
      }
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
        // A non-blocking pipe that is full: hand the rest to the stream, which writes it when the reader catches up.
        this.queued = true;
        this.stream.write(bytes.subarray(done));
        return;
      }
      throw e;
    }
  }

  discard(): void {
    this.parts = [];
    this.size = 0;
  }
}
