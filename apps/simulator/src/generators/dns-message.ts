import { parseIpv4 } from "../ipv4.js";

/** Record types a question may ask for (the measurement API's list) and OPT (RFC 6891); answers are A, NS or SOA. */
const DNS_TYPE = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, NAPTR: 35, OPT: 41, DS: 43,
  RRSIG: 46, NSEC: 47, DNSKEY: 48, TLSA: 52, ANY: 255,
} as const;
const DNS_CLASS = { IN: 1, CHAOS: 3 } as const;

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export type ResourceData =
  | { type: "A"; address: string }
  | { type: "NS"; host: string }
  | { type: "SOA"; soa: SoaData };

export interface ResourceRecord {
  name: string;
  ttl: number;
  data: ResourceData;
}

export interface DnsQuestion {
  name: string;
  type: Exclude<keyof typeof DNS_TYPE, "OPT">;
  /** IN unless given. */
  class?: keyof typeof DNS_CLASS;
}

export interface DnsMessage {
  id: number;
  /** The 16 flag bits: QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE. */
  flags: number;
  question: DnsQuestion;
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
  /** Adds an EDNS0 OPT record advertising this UDP payload size. */
  ednsUdpSize?: number;
}

/** QR (a response) and AA (authoritative answer). */
export const AUTHORITATIVE_RESPONSE_FLAGS = 0x8400;

/** Encodes a DNS message in wire format, compressing names as servers do. */
export function encodeDnsMessage(message: DnsMessage): Buffer {
  const writer = new DnsWriter();
  const additionalCount = message.additional.length + (message.ednsUdpSize === undefined ? 0 : 1);
  writer.u16(message.id);
  writer.u16(message.flags);
  writer.u16(1);
  writer.u16(message.answers.length);
  writer.u16(message.authority.length);
  writer.u16(additionalCount);
  writer.name(message.question.name);
  writer.u16(DNS_TYPE[message.question.type]);
  writer.u16(DNS_CLASS[message.question.class ?? "IN"]);
  for (const record of [...message.answers, ...message.authority, ...message.additional]) writer.record(record);
  if (message.ednsUdpSize !== undefined) {
    writer.name(".");
    writer.u16(DNS_TYPE.OPT);
    writer.u16(message.ednsUdpSize);
    writer.u32(0);
    writer.u16(0);
  }
  return writer.bytes();
}

class DnsWriter {
  private readonly chunks: number[] = [];
  /** Where each name suffix already written starts: the targets of compression pointers. */
  private readonly suffixes = new Map<string, number>();

  u8(value: number): void {
    this.chunks.push(value & 0xff);
  }

  u16(value: number): void {
    this.u8(value >>> 8);
    this.u8(value);
  }

  u32(value: number): void {
    this.u16(value >>> 16);
    this.u16(value & 0xffff);
  }

  name(name: string): void {
    const labels = name.split(".").filter((label) => label.length > 0);
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join(".").toLowerCase();
      const earlier = this.suffixes.get(suffix);
      if (earlier !== undefined) {
        this.u16(0xc000 | earlier);
        return;
      }
      if (this.chunks.length < 0x3fff) this.suffixes.set(suffix, this.chunks.length);
      const label = Buffer.from(labels[i] as string, "ascii");
      if (label.length > 63) throw new Error(`DNS label longer than 63 bytes in ${name}`);
      this.u8(label.length);
      for (const byte of label) this.u8(byte);
    }
    this.u8(0);
  }

  record(record: ResourceRecord): void {
    this.name(record.name);
    this.u16(DNS_TYPE[record.data.type]);
    this.u16(DNS_CLASS.IN);
    this.u32(record.ttl);
    const lengthAt = this.chunks.length;
    this.u16(0);
    this.rdata(record.data);
    const length = this.chunks.length - lengthAt - 2;
    this.chunks[lengthAt] = length >>> 8;
    this.chunks[lengthAt + 1] = length & 0xff;
  }

  private rdata(data: ResourceData): void {
    switch (data.type) {
      case "A":
        this.u32(parseIpv4(data.address));
        return;
      case "NS":
        this.name(data.host);
        return;
      case "SOA":
        this.name(data.soa.mname);
        this.name(data.soa.rname);
        for (const value of [data.soa.serial, data.soa.refresh, data.soa.retry, data.soa.expire, data.soa.minimum]) {
          this.u32(value);
        }
        return;
    }
  }

  bytes(): Buffer {
    return Buffer.from(this.chunks);
  }
}
