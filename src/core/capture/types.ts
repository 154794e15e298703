/**
 * Capture-level vocabulary shared by the pcap and pcapng readers.
 *
 * Timestamps are kept as two integers, whole seconds since the epoch and nanoseconds within the second, because a
 * float64 of nanoseconds since 1970 cannot hold today's times exactly (2^53 ns is about 104 days). Resolutions finer
 * than a nanosecond (pcapng if_tsresol above 10^-9 or 2^-30) are rounded down to the nanosecond.
 */

export type CaptureFormat = 'pcap' | 'pcapng';

/** Stable codes for problems with the file itself (as opposed to one packet). */
export type CaptureErrorCode =
  | 'capture.unusable' // not a capture we can read at all: nothing parsed
  | 'capture.truncated_record' // the file ends inside a record or block
  | 'capture.bad_record_length' // a record or block length that cannot be right
  | 'capture.bad_block' // a pcapng block whose body contradicts its framing
  | 'capture.unknown_interface' // a packet names an interface that was never described
  | 'capture.unsupported_section'; // a pcapng section of a version we cannot read (skipped)

export interface CaptureError {
  code: CaptureErrorCode;
  message: string;
  /** Byte offset in the file where the damaged record or block starts. */
  offset: number;
  /** Frame number the damaged record would have had, when it is a packet record. */
  frameNumber?: number;
  /** True when reading stopped here: nothing after this offset was read. */
  fatal: boolean;
}

export type TimestampResolution =
  | { base: 10; exponent: number } // 10^-exponent seconds per unit
  | { base: 2; exponent: number }; // 2^-exponent seconds per unit

export interface InterfaceStatistics {
  /** Time of the statistics block, seconds since the epoch. */
  tsSec?: number;
  received?: number; // isb_ifrecv
  droppedByInterface?: number; // isb_ifdrop
  droppedByOs?: number; // isb_osdrop
  acceptedByFilter?: number; // isb_filteraccept
  deliveredToUser?: number; // isb_usrdeliv
}

export interface CaptureInterface {
  /** Index over all interfaces of all sections, in file order (what Wireshark calls frame.interface_id is per section). */
  index: number;
  section: number;
  /** Interface id inside its section, as pcapng numbers it. */
  idInSection: number;
  linkType: number;
  snapLength: number;
  resolution: TimestampResolution;
  tsOffsetSec: number;
  /** Length of the frame check sequence appended to each packet, in bytes (0 when absent or unknown). */
  fcsLength: number;
  name?: string;
  description?: string;
  os?: string;
  filter?: string;
  /** opt_comment of the interface description block (bounded: see METADATA_LIMITS). */
  comments?: string[];
  /** The last statistics block seen for this interface. */
  statistics?: InterfaceStatistics;
}

/**
 * One packet record. The reader reuses a single instance for every record: copy what you keep.
 * `data` is a view into the reader's buffer and is valid only during the callback.
 */
export interface PacketRecord {
  /** 1-based, over every record Wireshark numbers as a frame, in file order: the number Wireshark shows. */
  frameNumber: number;
  /**
   * 'packet' for captured packets. Wireshark also gives pcapng custom blocks and systemd journal entries frame
   * numbers; they come through as records of their own kind (linkType NON_PACKET_LINKTYPE, interfaceIndex -1,
   * no timestamp) so that frame numbers stay the ones Wireshark shows.
   */
  kind: 'packet' | 'custom' | 'journal';
  /** Index into CaptureFacts.interfaces; -1 for records that are not packets. */
  interfaceIndex: number;
  linkType: number;
  tsSec: number;
  tsNsec: number;
  /** False for pcapng Simple Packet Blocks and non-packet records, which carry no time: tsSec/tsNsec repeat the previous packet's. */
  hasTimestamp: boolean;
  capturedLength: number;
  originalLength: number;
  /** Bytes of FCS at the end of `data` that are not part of the frame's payload. */
  fcsLength: number;
  /**
   * The captured bytes are buffer[dataOffset, dataOffset + capturedLength). Hot paths read them there; making a
   * view per packet costs more than the rest of the record walk.
   */
  buffer: Uint8Array;
  dataOffset: number;
  /** A view of the captured bytes (made on each access). */
  readonly data: Uint8Array;
  /** Offset of the record header / block start in the file. */
  fileOffset: number;
  /** pcapng epb_flags, 0 when absent. */
  epbFlags: number;
}

/**
 * Bounds on the free text a pcapng file carries (comments, names, descriptions, name resolution). A capture is
 * untrusted: these strings are kept for display only, each cut to `textBytes` bytes of UTF-8 and each list to a fixed
 * number of items, so a file of a million comments or a 60 KB interface name costs a fixed amount of memory.
 */
export const METADATA_LIMITS = {
  /** Bytes of UTF-8 decoded from one string; longer ones are cut at a character boundary and end in '…'. */
  textBytes: 1024,
  /** Comments kept per section header or interface. */
  commentsPerBlock: 16,
  /** Section headers whose hardware / os / application / comments are kept. */
  sections: 64,
  /** Packet comments kept (all are counted). */
  packetComments: 10_000,
  /** Name resolution entries kept (all are counted). */
  names: 10_000,
  /** Names kept per resolved address. */
  namesPerAddress: 8,
} as const;

/** What a pcapng section header says about the capture. */
export interface CaptureSectionInfo {
  /** 0-based section number. */
  index: number;
  hardware?: string;
  os?: string;
  application?: string;
  comments: string[];
}

export interface PacketComment {
  frameNumber: number;
  text: string;
}

/** One address of a pcapng name resolution block, with the names the capturing host had for it. */
export interface NameResolutionEntry {
  address: string;
  names: string[];
}

/** The free-text metadata of a pcapng file, bounded (METADATA_LIMITS): counts are exact, lists are prefixes. */
export interface CaptureMetadata {
  sections: CaptureSectionInfo[];
  /** Comments on packet blocks, in frame order. */
  packetComments: PacketComment[];
  packetCommentsTotal: number;
  /** Comments on section headers and interfaces, counted over the whole file (the kept ones are in sections/interfaces). */
  sectionCommentsTotal: number;
  interfaceCommentsTotal: number;
  names: NameResolutionEntry[];
  namesTotal: number;
}

export interface CaptureSink {
  onPacket(record: PacketRecord): void;
  onInterface?(iface: CaptureInterface): void;
  onError?(error: CaptureError): void;
}

export interface CaptureFacts {
  format: CaptureFormat | null;
  /** 'little' | 'big' of the first section (pcapng sections may differ; see sections). */
  byteOrder: 'little' | 'big' | null;
  version: string | null;
  sections: number;
  interfaces: CaptureInterface[];
  /** Records numbered as frames (packets plus the few non-packet records Wireshark numbers; see PacketRecord.kind). */
  packets: number;
  bytesRead: number;
  errors: CaptureError[];
  /** Set when the file cannot be read at all. */
  unusable: CaptureError | null;
  /** pcapng comments, section header strings and name resolution (empty for classic pcap). */
  metadata: CaptureMetadata;
}
