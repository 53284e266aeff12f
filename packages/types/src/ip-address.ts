/**
 * IP addresses and prefixes without node:net (browser-safe), shared by subscription parsing and
 * the gateway's result filter. What reads as an address is what node:net's `isIP` accepts, zones aside.
 */

const DOT = 46;
const COLON = 58;

/** The eight 16-bit groups of the IPv6 address being read (one reader at a time: no allocation). */
const hextets = new Uint16Array(8);

/** An IPv4 dotted quad in text[start, end) as an unsigned 32-bit value, or -1. */
function readIPv4(text: string, start: number, end: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // A leading zero is refused, as node:net refuses it (it reads as octal elsewhere).
      if (digits > 0 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (octet > 255) return -1;
      digits++;
    } else if (c === DOT && digits > 0 && dots < 3) {
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  return digits > 0 && dots === 3 ? value * 256 + octet : -1;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Reads an IPv6 address (`::` compression and a dotted IPv4 tail allowed, no zone) into `out`. */
function readIPv6(text: string, out: Uint32Array): boolean {
  const end = text.length;
  let i = 0;
  let count = 0;
  let gap = -1;
  if (text.charCodeAt(0) === COLON) {
    if (text.charCodeAt(1) !== COLON) return false;
    gap = 0;
    i = 2;
  }
  while (i < end) {
    const start = i;
    let value = 0;
    for (let digit = hexDigit(text.charCodeAt(i)); digit >= 0 && i < end; digit = hexDigit(text.charCodeAt(++i))) {
      value = value * 16 + digit;
    }
    if (text.charCodeAt(i) === DOT) {
      const v4 = count <= 6 ? readIPv4(text, start, end) : -1;
      if (v4 < 0) return false;
      hextets[count++] = v4 >>> 16;
      hextets[count++] = v4 & 0xffff;
      i = end;
      break;
    }
    const digits = i - start;
    if (digits === 0 || digits > 4 || count === 8) return false;
    hextets[count++] = value;
    if (i === end) break;
    if (text.charCodeAt(i) !== COLON) return false;
    i++;
    if (text.charCodeAt(i) === COLON) {
      if (gap >= 0) return false;
      gap = count;
      i++;
    } else if (i === end) {
      return false;
    }
  }
  if (gap < 0 ? count !== 8 : count > 7) return false;
  const zeros = 8 - count;
  for (let word = 0; word < 4; word++) {
    let packed = 0;
    for (let half = 0; half < 2; half++) {
      const j = word * 2 + half;
      const group = gap < 0 || j < gap ? hextets[j]! : j < gap + zeros ? 0 : hextets[j - zeros]!;
      packed = packed * 0x10000 + group;
    }
    out[word] = packed;
  }
  return true;
}

/**
 * Reads an IPv4 or IPv6 address into `out` as 128 bits, four 32-bit words most significant
 * first. IPv4 is held IPv4-mapped (`::ffff:a.b.c.d`), so that both spellings of an IPv4 host
 * compare equal. Returns the family the text is written in, or 0 when it is no address (then
 * `out` holds garbage). Allocates nothing: the result filter calls it for every hop.
 */
export function readIpAddress(text: string, out: Uint32Array): 0 | 4 | 6 {
  if (text.indexOf(":") >= 0) return readIPv6(text, out) ? 6 : 0;
  const v4 = readIPv4(text, 0, text.length);
  if (v4 < 0) return 0;
  out[0] = 0;
  out[1] = 0;
  out[2] = 0xffff;
  out[3] = v4;
  return 4;
}

/** True when the 128 bits hold an IPv4 host (`::ffff:0:0/96`). */
export function isIPv4Mapped(words: Uint32Array): boolean {
  return words[0] === 0 && words[1] === 0 && words[2] === 0xffff;
}

function formatDottedQuad(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of zero groups as `::`. */
function formatIpAddress(words: Uint32Array, family: 4 | 6): string {
  if (family === 4) return formatDottedQuad(words[3]!);
  if (isIPv4Mapped(words)) return `::ffff:${formatDottedQuad(words[3]!)}`;
  const groups: number[] = [];
  for (const word of words) groups.push(word >>> 16, word & 0xffff);
  let runStart = -1;
  let runLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > runLength) {
      runStart = i;
      runLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (runStart < 0) return hex.join(":");
  return `${hex.slice(0, runStart).join(":")}::${hex.slice(runStart + runLength).join(":")}`;
}

/** A CIDR prefix, read once and matched against many addresses. */
export interface IpPrefix {
  /** The family the prefix is written in. */
  family: 4 | 6;
  /** Prefix length as written: 0..32 for IPv4, 0..128 for IPv6. */
  length: number;
  /** Network bits in the 128-bit space of {@link readIpAddress}, host bits zero. */
  network: Uint32Array;
  /** The mask of `network` in that space (an IPv4 `/n` covers 96 + n bits). */
  mask: Uint32Array;
  /** Canonical text: the network address in RFC 5952 form, `/`, the length. */
  text: string;
}

/**
 * Reads a CIDR prefix (`193.0.0.0/21`, `2001:67c:2e8::/48`). Host bits set in the address are
 * cleared (`10.1.2.3/8` is `10.0.0.0/8`). Returns undefined when the text is no prefix.
 */
export function parseIpPrefix(text: string): IpPrefix | undefined {
  const slash = text.lastIndexOf("/");
  const lengthText = text.slice(slash + 1);
  if (slash < 0 || !/^(0|[1-9][0-9]{0,2})$/.test(lengthText)) return undefined;
  const address = text.slice(0, slash);
  const network = new Uint32Array(4);
  const family = readIpAddress(address, network);
  if (family === 0) return undefined;
  const length = Number(lengthText);
  if (length > (family === 4 ? 32 : 128)) return undefined;
  const bits = family === 4 ? 96 + length : length;
  const mask = new Uint32Array(4);
  for (let word = 0; word < 4; word++) {
    const wordBits = Math.min(32, Math.max(0, bits - word * 32));
    mask[word] = wordBits === 0 ? 0 : (0xffffffff << (32 - wordBits)) >>> 0;
    network[word] = (network[word]! & mask[word]!) >>> 0;
  }
  return { family, length, network, mask, text: `${formatIpAddress(network, family)}/${length}` };
}

/** The canonical (RFC 5952) text of an address, or undefined when the text is no address. */
export function canonicalIpAddress(text: string): string | undefined {
  const words = new Uint32Array(4);
  const family = readIpAddress(text, words);
  return family === 0 ? undefined : formatIpAddress(words, family);
}
