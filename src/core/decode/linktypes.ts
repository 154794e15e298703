/** LINKTYPE_* values (tcpdump.org registry) that can carry TCP and that the decoder handles. */
export const enum LinkType {
  NULL = 0,
  ETHERNET = 1,
  PPP = 9,
  /** DLT_RAW as written by OpenBSD and some old tools; Wireshark reads it as raw IP. */
  RAW_OPENBSD = 12,
  RAW_BSDOS = 14,
  RAW = 101,
  LOOP = 108,
  LINUX_SLL = 113,
  IPV4 = 228,
  IPV6 = 229,
  NFLOG = 239,
  LINUX_SLL2 = 276,
}

/**
 * Not a registry value: the link type given to records that are frames in Wireshark's numbering but carry no
 * packet (pcapng custom blocks, systemd journal entries). Outside the 16-bit registry range so it never collides.
 */
export const NON_PACKET_LINKTYPE = -1;

const NAMES: Record<number, string> = {
  [NON_PACKET_LINKTYPE]: 'pcapng-non-packet',
  0: 'null',
  1: 'ether',
  9: 'ppp',
  12: 'rawip',
  14: 'rawip',
  101: 'rawip',
  105: 'ieee-802-11',
  108: 'loop',
  113: 'linux-sll',
  127: 'ieee-802-11-radiotap',
  228: 'rawip4',
  229: 'rawip6',
  239: 'nflog',
  276: 'linux-sll2',
};

/** Short link-type name, matching Wireshark's encapsulation names where they exist. */
export function linkTypeName(linkType: number): string {
  return NAMES[linkType] ?? `linktype-${linkType}`;
}
