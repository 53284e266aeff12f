import { createSocket } from "node:dgram";
import { readFile } from "node:fs/promises";
import { connect as tcpConnect, isIP } from "node:net";
import { randomInt } from "node:crypto";
import { encode, RECURSION_DESIRED, DNSSEC_OK, type Packet, type RecordClass, type RecordType } from "dns-packet";
import {
  NameResolutionError,
  commonFields,
  describeSocketError,
  elapsedMs,
  intOption,
  resolveTarget,
  unixSeconds,
  type AddressFamily,
  type MeasurementContext,
  type MeasurementDefinition,
  type ResultObject,
} from "./common.js";

type Transport = "UDP" | "TCP";

type QueryOutcome =
  | { answer: Buffer; rt: number; srcAddr?: string }
  | { error: ResultObject; srcAddr?: string };

/** One DNS query of our own (UDP or TCP), recorded the way RIPE's `tdig` does: header counts and the raw answer. */
export async function run(definition: MeasurementDefinition, ctx: MeasurementContext): Promise<ResultObject> {
  const started = Date.now();
  const proto: Transport = String(definition.protocol ?? "UDP").toUpperCase() === "TCP" ? "TCP" : "UDP";
  const base: ResultObject = { proto };
  const query = buildQuery(definition);
  if (definition.include_qbuf) base.qbuf = query.toString("base64");

  if (definition.use_probe_resolver) {
    const resolvers = await systemResolvers();
    const resultset: ResultObject[] = [];
    for (const [index, addr] of resolvers.entries()) {
      const af: AddressFamily = isIP(addr) === 6 ? 6 : 4;
      const time = unixSeconds();
      const outcome = await queryWithRetries(definition, proto, addr, af, query);
      resultset.push({
        af,
        dst_addr: addr,
        proto,
        time,
        lts: ctx.lts,
        subid: index + 1,
        submax: resolvers.length,
        ...(base.qbuf === undefined ? {} : { qbuf: base.qbuf }),
        ...(outcome.srcAddr === undefined ? {} : { src_addr: outcome.srcAddr }),
        ...outcomeFields(outcome),
      });
    }
    return { ...commonFields("dns", ctx, started, { name: "" }), resultset };
  }

  const target = definition.target;
  if (typeof target !== "string" || target === "") throw new Error("definition has no target and use_probe_resolver is off");
  let resolved;
  try {
    resolved = await resolveTarget(target, definition.af);
  } catch (err) {
    if (!(err instanceof NameResolutionError)) throw err;
    return { ...commonFields("dns", ctx, started, { af: definition.af ?? 4, name: target }), ...base, error: { getaddrinfo: err.message } };
  }
  const outcome = await queryWithRetries(definition, proto, resolved.addr, resolved.af, query);
  return {
    ...commonFields("dns", ctx, started, { ...resolved, srcAddr: outcome.srcAddr }),
    ...base,
    ...outcomeFields(outcome),
  };
}

function outcomeFields(outcome: QueryOutcome & { retry?: number }): ResultObject {
  const retry = outcome.retry ? { retry: outcome.retry } : {};
  if ("error" in outcome) return { ...retry, error: outcome.error };
  return { ...retry, result: describeAnswer(outcome.answer, outcome.rt) };
}

/** The header counts straight from the wire, so they are right even for answers a decoder would refuse. */
function describeAnswer(answer: Buffer, rt: number): ResultObject {
  const header = (offset: number) => (answer.length >= offset + 2 ? answer.readUInt16BE(offset) : 0);
  return {
    ANCOUNT: header(6),
    ARCOUNT: header(10),
    ID: header(0),
    NSCOUNT: header(8),
    QDCOUNT: header(4),
    abuf: answer.toString("base64"),
    rt,
    size: answer.length,
  };
}

function buildQuery(definition: MeasurementDefinition): Buffer {
  const name = String(definition.query_argument ?? ".");
  const packet: Packet = {
    type: "query",
    id: randomInt(0, 0x10000),
    flags: definition.set_rd_bit === false ? 0 : RECURSION_DESIRED,
    questions: [{ type: recordType(definition.query_type), class: recordClass(definition.query_class), name }],
  };
  const payload = definition.udp_payload_size;
  if (typeof payload === "number" || definition.set_do_bit) {
    packet.additionals = [
      {
        type: "OPT",
        name: ".",
        udpPayloadSize: typeof payload === "number" ? payload : 512,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: definition.set_do_bit ? DNSSEC_OK : 0,
        flag_do: definition.set_do_bit === true,
        options: [],
      },
    ];
  }
  return encode(packet);
}

function recordType(value: unknown): RecordType {
  return (typeof value === "string" && value !== "" ? value.toUpperCase() : "A") as RecordType;
}

function recordClass(value: unknown): RecordClass {
  const upper = typeof value === "string" ? value.toUpperCase() : "IN";
  if (upper === "CHAOS") return "CH";
  return (["IN", "CS", "CH", "HS", "ANY"].includes(upper) ? upper : "IN") as RecordClass;
}

async function queryWithRetries(
  definition: MeasurementDefinition,
  proto: Transport,
  addr: string,
  af: AddressFamily,
  query: Buffer,
): Promise<QueryOutcome & { retry?: number }> {
  const port = intOption(definition.port, 53, 1, 65535);
  const timeoutMs = intOption(definition.timeout, 5000, 100, 60_000);
  const retries = proto === "UDP" ? intOption(definition.retry, 0, 0, 10) : 0;
  let outcome: QueryOutcome = { error: {} };
  for (let attempt = 0; attempt <= retries; attempt++) {
    outcome = proto === "UDP" ? await queryUdp(addr, af, port, query, timeoutMs) : await queryTcp(addr, port, query, timeoutMs);
    if (!("error" in outcome) || outcome.error.timeout === undefined) return { ...outcome, retry: attempt };
  }
  return { ...outcome, retry: retries };
}

function queryUdp(addr: string, af: AddressFamily, port: number, query: Buffer, timeoutMs: number): Promise<QueryOutcome> {
  return new Promise((resolve) => {
    const socket = createSocket(af === 6 ? "udp6" : "udp4");
    let srcAddr: string | undefined;
    let sentAt = process.hrtime.bigint();
    const finish = (outcome: QueryOutcome) => {
      clearTimeout(timer);
      socket.close();
      resolve(srcAddr === undefined ? outcome : { ...outcome, srcAddr });
    };
    const timer = setTimeout(() => finish({ error: { timeout: timeoutMs } }), timeoutMs);
    socket.on("error", (err) => finish({ error: { socket: `send failed: ${describeSocketError(err)}` } }));
    socket.on("message", (message) => {
      // An answer to someone else's query (wrong id) is not ours; keep waiting.
      if (message.length >= 2 && message.readUInt16BE(0) === query.readUInt16BE(0)) {
        finish({ answer: message, rt: elapsedMs(sentAt) });
      }
    });
    socket.connect(port, addr, () => {
      srcAddr = socket.address().address;
      sentAt = process.hrtime.bigint();
      socket.send(query);
    });
  });
}

function queryTcp(addr: string, port: number, query: Buffer, timeoutMs: number): Promise<QueryOutcome> {
  return new Promise((resolve) => {
    const startedAt = process.hrtime.bigint();
    const socket = tcpConnect({ host: addr, port });
    let srcAddr: string | undefined;
    let received = Buffer.alloc(0);
    const finish = (outcome: QueryOutcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(srcAddr === undefined ? outcome : { ...outcome, srcAddr });
    };
    const timer = setTimeout(() => finish({ error: { timeout: timeoutMs } }), timeoutMs);
    socket.on("connect", () => {
      srcAddr = socket.localAddress;
      const framed = Buffer.alloc(2 + query.length);
      framed.writeUInt16BE(query.length, 0);
      query.copy(framed, 2);
      socket.write(framed);
    });
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2) return;
      const length = received.readUInt16BE(0);
      if (received.length >= 2 + length) finish({ answer: received.subarray(2, 2 + length), rt: elapsedMs(startedAt) });
    });
    socket.on("error", (err) => {
      const stage = srcAddr === undefined ? "connect failed" : "read failed";
      finish({ error: { socket: `${stage}: ${describeSocketError(err)}` } });
    });
    socket.on("end", () => finish({ error: { socket: "connection closed before the answer was complete" } }));
  });
}

/** The resolvers this machine uses (RIPE `use_probe_resolver`). */
async function systemResolvers(): Promise<string[]> {
  const text = await readFile("/etc/resolv.conf", "utf8").catch(() => "");
  const servers = text
    .split("\n")
    .map((line) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1])
    .filter((server): server is string => server !== undefined && isIP(server.split("%")[0]!) !== 0);
  return servers.length > 0 ? servers : ["127.0.0.1"];
}
