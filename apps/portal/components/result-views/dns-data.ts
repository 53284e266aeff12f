// DNS results: each resolver's answer, its wire-format `abuf` decoded with dns-packet.
import { Buffer } from "buffer";
import { decode, type Answer, type DecodedPacket } from "dns-packet";
import { errorOf, isRecord, num, records, text, type UntypedResult } from "./fields";

export interface DnsRecord {
  section: "answer" | "authority" | "additional";
  name: string;
  type: string;
  ttl: number | null;
  data: string;
}

export interface DnsResponse {
  resolver: string | null;
  /** Response time, ms. */
  rt: number | null;
  rcode: string | null;
  question: string | null;
  records: DnsRecord[];
  error: string | null;
}

/** Record data as text: names and addresses as they are, structured data as key=value. */
function dataText(answer: Answer): string {
  const data: unknown = (answer as { data?: unknown }).data;
  if (data === undefined || data === null) return "";
  if (typeof data === "string") return data;
  if (Buffer.isBuffer(data)) return data.toString("hex");
  if (Array.isArray(data)) return data.map((part) => (Buffer.isBuffer(part) ? part.toString("utf8") : String(part))).join(" ");
  if (isRecord(data)) {
    return Object.entries(data)
      .map(([k, v]) => `${k}=${Buffer.isBuffer(v) ? v.toString("hex") : Array.isArray(v) ? v.join(",") : String(v)}`)
      .join(" ");
  }
  return JSON.stringify(data);
}

function recordsOf(packet: DecodedPacket): DnsRecord[] {
  const sections: [DnsRecord["section"], Answer[] | undefined][] = [
    ["answer", packet.answers],
    ["authority", packet.authorities],
    ["additional", packet.additionals],
  ];
  return sections.flatMap(([section, answers]) =>
    (answers ?? [])
      .filter((a) => a.type !== "OPT")
      .map((a) => ({ section, name: a.name, type: a.type, ttl: "ttl" in a && typeof a.ttl === "number" ? a.ttl : null, data: dataText(a) })),
  );
}

function responseOf(resolver: string | null, entry: Record<string, unknown>): DnsResponse {
  const inner = isRecord(entry.result) ? entry.result : null;
  const failure = errorOf(entry);
  if (!inner) return { resolver, rt: null, rcode: null, question: null, records: [], error: failure ?? "no answer" };
  const base = { resolver, rt: num(inner.rt), rcode: null, question: null, records: [], error: failure ?? errorOf(inner) };
  const abuf = text(inner.abuf);
  if (!abuf) return base;
  try {
    const packet = decode(Buffer.from(abuf, "base64"));
    const question = packet.questions?.[0];
    return {
      ...base,
      rcode: (packet as { rcode?: string }).rcode ?? null,
      question: question ? `${question.name} ${question.type}` : null,
      records: recordsOf(packet),
    };
  } catch (err) {
    return { ...base, error: `undecodable answer: ${err instanceof Error ? err.message : String(err)}` };
  }
}

const decoded = new WeakMap<UntypedResult, DnsResponse[]>();

/** Every resolver's response in a DNS result (one, or a `resultset`); decoded once per result. */
export function dnsResponses(result: UntypedResult): DnsResponse[] {
  const known = decoded.get(result);
  if (known) return known;
  const top = text(result.dst_addr);
  const responses = Array.isArray(result.resultset)
    ? records(result.resultset).map((entry) => responseOf(text(entry.dst_addr) ?? top, entry))
    : [responseOf(top, result)];
  decoded.set(result, responses);
  return responses;
}
