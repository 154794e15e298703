import { i64, u16, u32, u64 } from '../util/bytes';
import { NON_PACKET_LINKTYPE } from '../decode/linktypes';
import { boundedText, emptyMetadata, pushComment, readNameRecords } from './metadata';
import { parseTsresol, unitsToSecNsec, type SecNsec } from './timestamp';
import {
  METADATA_LIMITS,
  type CaptureError,
  type CaptureErrorCode,
  type CaptureFacts,
  type CaptureInterface,
  type CaptureSectionInfo,
  type CaptureSink,
  type PacketRecord,
  type TimestampResolution,
} from './types';

/**
 * Streaming reader for classic pcap and pcapng.
 *
 * It is a consumer, not a pump: the caller hands it a buffer window and it returns how far it got, so the caller
 * only ever moves the unconsumed tail (at most one record) to the front of its own buffer. That keeps a multi-GB
 * file flowing through one fixed buffer with no per-chunk concatenation, and works the same on a file handle, in a
 * worker, or over an in-memory array (see readCapture in ./source.ts).
 */

const PCAP_MAGIC_USEC = 0xa1b2c3d4;
const PCAP_MAGIC_NSEC = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;

/** Record and block sizes above this are damage, not data (Wireshark's own ceiling is similar). */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** Classic pcap records longer than this and than the file's snaplen are treated as damage, as Wireshark does. */
const PCAP_STANDARD_MAX = 262144;

const BT_IDB = 1;
const BT_PB = 2;
const BT_SPB = 3;
const BT_NRB = 4;
const BT_ISB = 5;
const BT_EPB = 6;
const BT_JOURNAL = 9;
const BT_CUSTOM_COPY = 0x00000bad;
const BT_CUSTOM_NOCOPY = 0x40000bad;

type Mode = 'sniff' | 'pcap' | 'pcapng' | 'done';

/** The one PacketRecord the reader fills for every packet. */
/** An empty record, the one shape every PacketRecord has (the reader's, a replayed segment's, a test's). */
export function newPacketRecord(): PacketRecord {
  return new Record();
}

class Record implements PacketRecord {
  frameNumber = 0;
  kind: PacketRecord['kind'] = 'packet';
  interfaceIndex = 0;
  linkType = 0;
  tsSec = 0;
  tsNsec = 0;
  hasTimestamp = true;
  capturedLength = 0;
  originalLength = 0;
  fcsLength = 0;
  buffer: Uint8Array = new Uint8Array(0);
  dataOffset = 0;
  fileOffset = 0;
  epbFlags = 0;
  get data(): Uint8Array {
    return this.buffer.subarray(this.dataOffset, this.dataOffset + this.capturedLength);
  }
}

export class CaptureReader {
  readonly facts: CaptureFacts = {
    format: null,
    byteOrder: null,
    version: null,
    sections: 0,
    interfaces: [],
    packets: 0,
    bytesRead: 0,
    errors: [],
    unusable: null,
    metadata: emptyMetadata(),
  };
  /** The reader cannot progress until this many bytes, counted from the unconsumed start, are available. */
  needBytes = 24;

  private mode: Mode = 'sniff';
  /** File offset of the first byte the caller will pass next. */
  private offset = 0;
  private le = true;
  private pcapNanos = false;
  private pcapMaxRecord = PCAP_STANDARD_MAX;
  /** pcapng: index of the first interface of the current section in facts.interfaces. */
  private sectionBase = 0;
  private skippingSection = false;
  /** Frame number of a packet block the buffer holds only part of (for the truncation report). */
  private pendingFrame: number | undefined;
  private lastSec = 0;
  private lastNsec = 0;
  private readonly ts: SecNsec = { sec: 0, nsec: 0 };
  private readonly rec = new Record();

  constructor(private readonly sink: CaptureSink) {}

  get done(): boolean {
    return this.mode === 'done';
  }

  /**
   * Parses as many whole records as `buf[start, end)` holds. Returns the index of the first unconsumed byte.
   * With `eof` set, a partial record at the end is reported as damage and reading stops.
   */
  consume(buf: Uint8Array, start: number, end: number, eof: boolean): number {
    let p = start;
    if (this.mode === 'sniff') {
      p = this.sniff(buf, p, end, eof);
      // The record walkers take file offsets relative to where they start, so account for the header first.
      this.offset += p - start;
      start = p;
    }
    if (this.mode === 'pcap') p = this.pcapRecords(buf, p, end);
    else if (this.mode === 'pcapng') p = this.pcapngBlocks(buf, p, end);
    this.offset += p - start;
    this.facts.bytesRead = this.offset;
    if (eof && this.mode !== 'done') {
      if (p < end) this.reportTail(end - p);
      this.mode = 'done';
    }
    return p;
  }

  private sniff(buf: Uint8Array, p: number, end: number, eof: boolean): number {
    const avail = end - p;
    if (avail < 4) {
      if (eof) this.unusable(avail === 0 ? 'the file is empty' : `the file is only ${avail} bytes long`);
      return p;
    }
    const be = u32(buf, p, false);
    const le = u32(buf, p, true);
    if (be === PCAPNG_SHB) {
      this.mode = 'pcapng';
      this.facts.format = 'pcapng';
      this.needBytes = 12;
      return p;
    }
    let magic = 0;
    if (be === PCAP_MAGIC_USEC || be === PCAP_MAGIC_NSEC) {
      this.le = false;
      magic = be;
    } else if (le === PCAP_MAGIC_USEC || le === PCAP_MAGIC_NSEC) {
      this.le = true;
      magic = le;
    } else {
      this.unusable(`not a pcap or pcapng file (unknown magic number 0x${be.toString(16).padStart(8, '0')})`);
      return p;
    }
    if (avail < 24) {
      if (eof) this.unusable(`the pcap file header is cut short (${avail} of 24 bytes)`);
      this.needBytes = 24;
      return p;
    }
    const major = u16(buf, p + 4, this.le);
    const minor = u16(buf, p + 6, this.le);
    if (major !== 2) {
      this.unusable(`unsupported pcap version ${major}.${minor}`);
      return p;
    }
    const snaplen = u32(buf, p + 16, this.le);
    const linkField = u32(buf, p + 20, this.le);
    this.pcapNanos = magic === PCAP_MAGIC_NSEC;
    this.pcapMaxRecord = Math.max(PCAP_STANDARD_MAX, Math.min(snaplen, MAX_RECORD_BYTES));
    // Bit 28 says the upper bits carry the number of 16-bit FCS words appended to each packet.
    const fcsLength = linkField & 0x10000000 ? ((linkField >>> 29) & 7) * 2 : 0;
    const iface: CaptureInterface = {
      index: 0,
      section: 0,
      idInSection: 0,
      linkType: linkField & 0xffff,
      snapLength: snaplen,
      resolution: { base: 10, exponent: this.pcapNanos ? 9 : 6 },
      tsOffsetSec: 0,
      fcsLength,
    };
    this.facts.format = 'pcap';
    this.facts.byteOrder = this.le ? 'little' : 'big';
    this.facts.version = `${major}.${minor}`;
    this.facts.sections = 1;
    this.facts.interfaces.push(iface);
    this.sink.onInterface?.(iface);
    this.mode = 'pcap';
    this.needBytes = 16;
    return p + 24;
  }

  private pcapRecords(buf: Uint8Array, p: number, end: number): number {
    const le = this.le;
    const rec = this.rec;
    const iface = this.facts.interfaces[0]!;
    const fracScale = this.pcapNanos ? 1 : 1000;
    const max = this.pcapMaxRecord;
    const base = this.offset - p; // file offset = base + index into buf
    rec.kind = 'packet';
    rec.interfaceIndex = 0;
    rec.linkType = iface.linkType;
    rec.fcsLength = iface.fcsLength;
    rec.hasTimestamp = true;
    rec.epbFlags = 0;
    for (;;) {
      if (end - p < 16) {
        this.needBytes = 16;
        return p;
      }
      const caplen = u32(buf, p + 8, le);
      if (caplen > max) {
        this.damage(
          'capture.bad_record_length',
          `record ${this.facts.packets + 1} claims ${caplen} captured bytes (more than the ${max}-byte maximum); the rest of the file cannot be trusted`,
          base + p,
          true,
          this.facts.packets + 1,
        );
        return p;
      }
      if (end - p - 16 < caplen) {
        this.needBytes = 16 + caplen;
        return p;
      }
      let sec = u32(buf, p, le);
      let nsec = u32(buf, p + 4, le) * fracScale;
      if (nsec >= 1e9) {
        // Out-of-range fractions exist in the wild; carry them rather than show an impossible time.
        sec += Math.floor(nsec / 1e9);
        nsec %= 1e9;
      }
      rec.frameNumber = ++this.facts.packets;
      rec.tsSec = sec;
      rec.tsNsec = nsec;
      rec.capturedLength = caplen;
      rec.originalLength = u32(buf, p + 12, le);
      rec.fileOffset = base + p;
      rec.buffer = buf;
      rec.dataOffset = p + 16;
      this.sink.onPacket(rec);
      p += 16 + caplen;
    }
  }

  private pcapngBlocks(buf: Uint8Array, p: number, end: number): number {
    const base = this.offset - p;
    for (;;) {
      if (end - p < 12) {
        this.needBytes = 12;
        // The type alone says whether a cut here costs a frame; a stale value from an earlier block would lie.
        this.pendingFrame = end - p >= 4 ? this.frameOfBlock(u32(buf, p, this.le)) : undefined;
        return p;
      }
      const type0 = u32(buf, p, this.le);
      if (type0 === PCAPNG_SHB || u32(buf, p, !this.le) === PCAPNG_SHB) {
        // The byte order of a section is only known from its own header.
        const bomLe = u32(buf, p + 8, true);
        if (bomLe === PCAPNG_BOM) this.le = true;
        else if (u32(buf, p + 8, false) === PCAPNG_BOM) this.le = false;
        else {
          if (this.facts.sections === 0) this.unusable('pcapng section header has no valid byte-order magic');
          else this.damage('capture.bad_block', 'section header block has no valid byte-order magic', base + p, true);
          return p;
        }
      }
      const type = u32(buf, p, this.le);
      const len = u32(buf, p + 4, this.le);
      if (len < 12 || len % 4 !== 0 || len > MAX_RECORD_BYTES) {
        if (this.facts.sections === 0) this.unusable(`pcapng section header block has an impossible length (${len})`);
        else
          this.damage(
            'capture.bad_record_length',
            `pcapng block of type 0x${type.toString(16)} has an impossible length (${len}); the rest of the file cannot be trusted`,
            base + p,
            true,
            this.frameOfBlock(type),
          );
        return p;
      }
      if (end - p < len) {
        this.needBytes = len;
        this.pendingFrame = this.frameOfBlock(type);
        return p;
      }
      const trailer = u32(buf, p + len - 4, this.le);
      if (trailer !== len) {
        if (this.facts.sections === 0) this.unusable('pcapng section header block is damaged (length fields disagree)');
        else
          this.damage(
            'capture.bad_block',
            `pcapng block of type 0x${type.toString(16)} has mismatched length fields (${len} and ${trailer}); the rest of the file cannot be trusted`,
            base + p,
            true,
            this.frameOfBlock(type),
          );
        return p;
      }
      if (type === PCAPNG_SHB) {
        if (!this.sectionHeader(buf, p, len, base + p)) return p;
      } else if (!this.skippingSection) {
        this.block(type, buf, p, len, base + p);
      }
      p += len;
    }
  }

  private frameOfBlock(type: number): number | undefined {
    return type === BT_EPB || type === BT_SPB || type === BT_PB || type === BT_CUSTOM_COPY || type === BT_CUSTOM_NOCOPY || type === BT_JOURNAL
      ? this.facts.packets + 1
      : undefined;
  }

  /** Returns false when reading must stop. */
  private sectionHeader(buf: Uint8Array, p: number, len: number, fileOffset: number): boolean {
    if (len < 28) {
      if (this.facts.sections === 0) this.unusable('pcapng section header block is too short');
      else this.damage('capture.bad_block', 'section header block is too short', fileOffset, true);
      return false;
    }
    const major = u16(buf, p + 12, this.le);
    const minor = u16(buf, p + 14, this.le);
    if (major !== 1) {
      if (this.facts.sections === 0) {
        this.unusable(`unsupported pcapng version ${major}.${minor}`);
        return false;
      }
      this.damage('capture.unsupported_section', `skipped a pcapng section of version ${major}.${minor}`, fileOffset, false);
      this.skippingSection = true;
      return true;
    }
    if (this.facts.sections === 0) {
      this.facts.byteOrder = this.le ? 'little' : 'big';
      this.facts.version = `${major}.${minor}`;
    }
    this.facts.sections++;
    this.skippingSection = false;
    this.sectionBase = this.facts.interfaces.length;
    this.sectionOptions(buf, p + 24, p + len - 4);
    return true;
  }

  /** opt_comment, shb_hardware, shb_os, shb_userappl: display text, bounded; a damaged option ends the walk only. */
  private sectionOptions(buf: Uint8Array, p: number, end: number): void {
    const m = this.facts.metadata;
    const info: CaptureSectionInfo = { index: this.facts.sections - 1, comments: [] };
    this.options(buf, p, end, (code, o, l) => {
      if (code === 1) {
        m.sectionCommentsTotal++;
        pushComment(info.comments, buf, o, l);
      } else if (code === 2) info.hardware = boundedText(buf, o, o + l);
      else if (code === 3) info.os = boundedText(buf, o, o + l);
      else if (code === 4) info.application = boundedText(buf, o, o + l);
    });
    if (m.sections.length < METADATA_LIMITS.sections) m.sections.push(info);
  }

  private block(type: number, buf: Uint8Array, p: number, len: number, fileOffset: number): void {
    const le = this.le;
    const bodyEnd = p + len - 4;
    switch (type) {
      case BT_IDB: {
        if (len < 20) {
          this.damage('capture.bad_block', 'interface description block is too short', fileOffset, false);
          return;
        }
        const iface: CaptureInterface = {
          index: this.facts.interfaces.length,
          section: this.facts.sections - 1,
          idInSection: this.facts.interfaces.length - this.sectionBase,
          linkType: u16(buf, p + 8, le),
          snapLength: u32(buf, p + 12, le),
          resolution: { base: 10, exponent: 6 },
          tsOffsetSec: 0,
          fcsLength: 0,
        };
        this.options(buf, p + 16, bodyEnd, (code, o, l) => {
          if (code === 1) {
            this.facts.metadata.interfaceCommentsTotal++;
            pushComment((iface.comments ??= []), buf, o, l);
          } else if (code === 2) iface.name = boundedText(buf, o, o + l);
          else if (code === 3) iface.description = boundedText(buf, o, o + l);
          else if (code === 9 && l >= 1) iface.resolution = parseTsresol(buf[o]!);
          else if (code === 14 && l >= 8) iface.tsOffsetSec = i64(buf, o, le);
          else if (code === 13 && l >= 1) iface.fcsLength = buf[o]!;
          else if (code === 12) iface.os = boundedText(buf, o, o + l);
          else if (code === 11 && l >= 1) iface.filter = boundedText(buf, o + 1, o + l);
        });
        this.facts.interfaces.push(iface);
        this.sink.onInterface?.(iface);
        return;
      }
      case BT_EPB:
      case BT_PB: {
        const headerLen = 28; // block header 8 + 20 bytes of fixed fields
        if (len < headerLen + 4) {
          this.damage('capture.bad_block', 'packet block is too short', fileOffset, false, this.facts.packets + 1);
          return;
        }
        const ifId = type === BT_EPB ? u32(buf, p + 8, le) : u16(buf, p + 8, le);
        const caplen = u32(buf, p + 20, le);
        const origlen = u32(buf, p + 24, le);
        const dataStart = p + headerLen;
        if (caplen > bodyEnd - dataStart) {
          this.damage(
            'capture.bad_block',
            `packet block claims ${caplen} captured bytes but holds only ${bodyEnd - dataStart}`,
            fileOffset,
            false,
            this.facts.packets + 1,
          );
          return;
        }
        const iface = this.sectionInterface(ifId, fileOffset);
        if (!iface) return;
        unitsToSecNsec(u32(buf, p + 12, le), u32(buf, p + 16, le), iface.resolution, this.ts);
        let flags = 0;
        const optStart = dataStart + ((caplen + 3) & ~3);
        if (optStart < bodyEnd) {
          this.options(buf, optStart, bodyEnd, (code, o, l) => {
            if (code === 2 && l >= 4) flags = u32(buf, o, le);
            else if (code === 1) this.packetComment(buf, o, l);
          });
        }
        // epb_flags bits 5-8 give a per-packet FCS length in octets; otherwise the interface's if_fcslen applies.
        const fcsFromFlags = (flags >>> 5) & 0xf;
        this.emit(iface, this.ts.sec + iface.tsOffsetSec, this.ts.nsec, true, buf, dataStart, caplen, origlen, fileOffset, flags, fcsFromFlags || iface.fcsLength);
        return;
      }
      case BT_SPB: {
        if (len < 16) {
          this.damage('capture.bad_block', 'simple packet block is too short', fileOffset, false, this.facts.packets + 1);
          return;
        }
        const iface = this.sectionInterface(0, fileOffset);
        if (!iface) return;
        const origlen = u32(buf, p + 8, le);
        const room = bodyEnd - (p + 12);
        let caplen = Math.min(origlen, room);
        if (iface.snapLength > 0) caplen = Math.min(caplen, iface.snapLength);
        this.emit(iface, this.lastSec, this.lastNsec, false, buf, p + 12, caplen, origlen, fileOffset, 0, iface.fcsLength);
        return;
      }
      case BT_ISB: {
        if (len < 24) return;
        const iface = this.facts.interfaces[this.sectionBase + u32(buf, p + 8, le)];
        if (!iface || iface.section !== this.facts.sections - 1) return;
        unitsToSecNsec(u32(buf, p + 12, le), u32(buf, p + 16, le), iface.resolution, this.ts);
        const stats: NonNullable<CaptureInterface['statistics']> = { tsSec: this.ts.sec + iface.tsOffsetSec };
        this.options(buf, p + 20, bodyEnd, (code, o, l) => {
          if (l < 8) return;
          const v = u64(buf, o, le);
          if (code === 4) stats.received = v;
          else if (code === 5) stats.droppedByInterface = v;
          else if (code === 6) stats.acceptedByFilter = v;
          else if (code === 7) stats.droppedByOs = v;
          else if (code === 8) stats.deliveredToUser = v;
        });
        iface.statistics = stats;
        return;
      }
      case BT_CUSTOM_COPY:
      case BT_CUSTOM_NOCOPY: {
        // Wireshark numbers custom blocks as frames of their own; counting them keeps our frame numbers equal to
        // the ones a user sees in Wireshark. The record carries the block's data after the enterprise number.
        if (len < 16) {
          this.damage('capture.bad_block', 'custom block is too short', fileOffset, false);
          return;
        }
        this.emitNonPacket('custom', buf, p + 12, bodyEnd - (p + 12), fileOffset);
        return;
      }
      case BT_JOURNAL: {
        // systemd journal entries are frames in Wireshark too (same reason as custom blocks).
        let dataEnd = bodyEnd;
        for (let i = 0; i < 3 && dataEnd > p + 8 && buf[dataEnd - 1] === 0; i++) dataEnd--;
        this.emitNonPacket('journal', buf, p + 8, dataEnd - (p + 8), fileOffset);
        return;
      }
      case BT_NRB:
        // Names are for display only (the analysis never uses them); Wireshark gives the block no frame number.
        readNameRecords(buf, p + 8, bodyEnd, le, this.facts.metadata);
        return;
      default:
        // DSB and unknown blocks carry nothing the analysis needs (and Wireshark gives them no frame number);
        // their framing was checked.
        return;
    }
  }

  /** A comment on the packet block being read: it becomes the next frame. */
  private packetComment(buf: Uint8Array, o: number, l: number): void {
    const m = this.facts.metadata;
    m.packetCommentsTotal++;
    if (m.packetComments.length < METADATA_LIMITS.packetComments) {
      m.packetComments.push({ frameNumber: this.facts.packets + 1, text: boundedText(buf, o, o + l) });
    }
  }

  private sectionInterface(id: number, fileOffset: number): CaptureInterface | undefined {
    const iface = this.facts.interfaces[this.sectionBase + id];
    if (!iface || iface.section !== this.facts.sections - 1) {
      this.damage(
        'capture.unknown_interface',
        `packet block refers to interface ${id}, which this section never described; packet skipped`,
        fileOffset,
        false,
        this.facts.packets + 1,
      );
      return undefined;
    }
    return iface;
  }

  private emit(
    iface: CaptureInterface,
    sec: number,
    nsec: number,
    hasTs: boolean,
    buf: Uint8Array,
    dataStart: number,
    caplen: number,
    origlen: number,
    fileOffset: number,
    flags: number,
    fcsLength: number,
  ): void {
    const rec = this.rec;
    rec.frameNumber = ++this.facts.packets;
    rec.kind = 'packet';
    rec.interfaceIndex = iface.index;
    rec.linkType = iface.linkType;
    rec.tsSec = sec;
    rec.tsNsec = nsec;
    rec.hasTimestamp = hasTs;
    rec.capturedLength = caplen;
    rec.originalLength = origlen;
    rec.fcsLength = fcsLength;
    rec.buffer = buf;
    rec.dataOffset = dataStart;
    rec.fileOffset = fileOffset;
    rec.epbFlags = flags;
    this.lastSec = sec;
    this.lastNsec = nsec;
    this.sink.onPacket(rec);
  }

  private emitNonPacket(kind: PacketRecord['kind'], buf: Uint8Array, dataStart: number, length: number, fileOffset: number): void {
    const rec = this.rec;
    rec.frameNumber = ++this.facts.packets;
    rec.kind = kind;
    rec.interfaceIndex = -1;
    rec.linkType = NON_PACKET_LINKTYPE;
    rec.tsSec = this.lastSec;
    rec.tsNsec = this.lastNsec;
    rec.hasTimestamp = false;
    rec.capturedLength = length;
    rec.originalLength = length;
    rec.fcsLength = 0;
    rec.buffer = buf;
    rec.dataOffset = dataStart;
    rec.fileOffset = fileOffset;
    rec.epbFlags = 0;
    this.sink.onPacket(rec);
  }

  /** Walks pcapng options (code u16, length u16, value padded to 4) without trusting their lengths. */
  private options(buf: Uint8Array, p: number, end: number, fn: (code: number, valueStart: number, valueLen: number) => void): void {
    while (p + 4 <= end) {
      const code = u16(buf, p, this.le);
      const l = u16(buf, p + 2, this.le);
      if (code === 0) return;
      const v = p + 4;
      if (v + l > end) return;
      fn(code, v, l);
      p = v + ((l + 3) & ~3);
    }
  }

  private reportTail(remaining: number): void {
    if (this.mode === 'pcapng' && this.facts.sections === 0) {
      this.unusable(`the pcapng section header is cut short (${remaining} bytes)`);
      return;
    }
    const frame = this.mode === 'pcap' ? this.facts.packets + 1 : this.pendingFrame;
    this.damage(
      'capture.truncated_record',
      `the file ends in the middle of a ${this.mode === 'pcap' ? 'packet record' : 'block'} (${remaining} of ${Math.max(this.needBytes, remaining + 1)} bytes present)`,
      this.offset,
      true,
      frame,
    );
  }

  private damage(code: CaptureErrorCode, message: string, offset: number, fatal: boolean, frameNumber?: number): void {
    const err: CaptureError = { code, message, offset, fatal };
    if (frameNumber !== undefined) err.frameNumber = frameNumber;
    this.facts.errors.push(err);
    this.sink.onError?.(err);
    if (fatal) this.mode = 'done';
  }

  private unusable(reason: string): void {
    const err: CaptureError = { code: 'capture.unusable', message: reason, offset: 0, fatal: true };
    this.facts.unusable = err;
    this.facts.errors.push(err);
    this.sink.onError?.(err);
    this.mode = 'done';
  }
}

export type { TimestampResolution };
