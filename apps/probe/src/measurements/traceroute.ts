import { isIP } from "node:net";
import {
  NameResolutionError,
  commonFields,
  intOption,
  requireTarget,
  resolveTarget,
  sourceAddressFor,
  unixSeconds,
  type MeasurementContext,
  type MeasurementDefinition,
  type ResultObject,
} from "./common.js";
import { runCommand, type CommandOutput } from "../run-command.js";
import { stderrLogger } from "../log.js";
import { interfaceFor, startCapture, type RunningCapture } from "./packet-capture.js";
import { addReplyDetails, captureFilter, sortCapture, type ProbeFlow, type TracerouteProtocol } from "./traceroute-replies.js";

const TRACEROUTE_PATH = process.env.PROBE_TRACEROUTE_PATH ?? "/usr/sbin/traceroute";

/** Traceroute's first UDP destination port; it adds one per probe. */
const UDP_BASE_PORT = 33434;

const HOP_LINE = /^\s*(\d+)\s+(.*)$/;

/** Traceroute with the system `traceroute` (Linux modern traceroute), parsed into RIPE hops. */
export async function run(definition: MeasurementDefinition, ctx: MeasurementContext): Promise<ResultObject> {
  const started = Date.now();
  const target = requireTarget(definition);
  const proto = protocolOf(definition.protocol);
  const packets = intOption(definition.packets, 3, 1, 16);
  const size = intOption(definition.size, 48, 0, 2048);
  const firstHop = intOption(definition.first_hop, 1, 1, 255);
  const maxHops = intOption(definition.max_hops, 32, firstHop, 255);
  const timeoutMs = intOption(definition.timeout, 4000, 100, 60_000);
  const parisId = intOption(definition.paris, 0, 0, 64);
  const base = { proto, paris_id: parisId, size };

  let resolved;
  try {
    resolved = await resolveTarget(target, definition.af);
  } catch (err) {
    if (!(err instanceof NameResolutionError)) throw err;
    return {
      ...commonFields("traceroute", ctx, started, { af: definition.af ?? 4, name: target }),
      ...base,
      dnserr: err.message,
      endtime: unixSeconds(),
    };
  }
  const srcAddr = await sourceAddressFor(resolved.addr, resolved.af);
  const fields = { ...commonFields("traceroute", ctx, started, { ...resolved, srcAddr }), ...base };

  const args = [
    "-n",
    `-${resolved.af}`,
    ...protocolArgs(proto, definition.port, parisId),
    "-q", String(packets),
    "-f", String(firstHop),
    "-m", String(maxHops),
    "-w", (timeoutMs / 1000).toFixed(3),
    resolved.addr,
    // traceroute's packet length counts the IP and UDP headers; RIPE's `size` counts neither.
    String(size + (resolved.af === 6 ? 40 : 20) + (proto === "UDP" ? 8 : 0)),
  ];
  // Hops are probed 16 at a time; the bound leaves room for every hop to time out.
  const limitMs = Math.ceil((maxHops - firstHop + 1) / 16 + 1) * timeoutMs * packets + 10_000;
  const flow: ProbeFlow | undefined = srcAddr
    ? { af: resolved.af, proto, srcAddr, dstAddr: resolved.addr, ports: probePorts(proto, definition.port, parisId, maxHops, packets) }
    : undefined;
  const capture = flow && (await startReplyCapture(flow, limitMs));
  let output: CommandOutput;
  try {
    output = await runCommand(TRACEROUTE_PATH, args, limitMs);
  } catch (err) {
    await capture?.stop();
    throw err;
  }
  const hops = parseHops(output.stdout);
  if (flow && capture) {
    const { probes, replies } = sortCapture(await capture.stop(), flow);
    addReplyDetails(hops, probes, replies);
  }
  const result =
    hops.length > 0 ? hops : [{ hop: firstHop, error: firstLine(output.stderr) ?? "traceroute produced no hops" }];
  return { ...fields, result, endtime: unixSeconds() };
}

let captureUnavailableLogged = false;

/**
 * The system traceroute never prints a reply's own TTL or size, so the replies are captured beside
 * it. Without the privilege to capture (or without tcpdump) results go out without those two fields.
 */
async function startReplyCapture(flow: ProbeFlow, limitMs: number): Promise<RunningCapture | undefined> {
  const started = await startCapture(interfaceFor(flow.srcAddr), captureFilter(flow), limitMs);
  if (started.ok) return started.capture;
  if (!captureUnavailableLogged) {
    captureUnavailableLogged = true;
    stderrLogger.warn({ reason: started.reason }, "traceroute: cannot capture replies, results carry no reply ttl/size");
  }
  return undefined;
}

/** The destination ports the probes use, mirroring protocolArgs(). */
function probePorts(proto: TracerouteProtocol, port: number | undefined, parisId: number, maxHops: number, packets: number): ProbeFlow["ports"] {
  if (proto === "TCP") return { first: port ?? 80, last: port ?? 80 };
  if (proto === "UDP" && parisId > 0) return { first: UDP_BASE_PORT + parisId, last: UDP_BASE_PORT + parisId };
  return { first: UDP_BASE_PORT, last: Math.min(65535, UDP_BASE_PORT + maxHops * packets) };
}

function protocolOf(value: unknown): TracerouteProtocol {
  const upper = typeof value === "string" ? value.toUpperCase() : "UDP";
  return upper === "ICMP" || upper === "TCP" ? upper : "UDP";
}

// Only UDP works for an ordinary user everywhere (errors come back through IP_RECVERR); ICMP needs
// the user's group in net.ipv4.ping_group_range or privileges, TCP SYN probes need a raw socket.
// Without them traceroute says so, and that text becomes the hop error of the result.
function protocolArgs(proto: TracerouteProtocol, port: number | undefined, parisId: number): string[] {
  if (proto === "ICMP") return ["-I"];
  if (proto === "TCP") return ["-T", "-p", String(port ?? 80)];
  // Paris traceroute keeps the flow fixed: one destination port per paris variation.
  return parisId > 0 ? ["-U", "-p", String(UDP_BASE_PORT + parisId)] : [];
}

/**
 * A hop line lists replies as `ADDR RTT ms [!X] ... *`; an address applies to the RTTs after it
 * until the next address, `!X` annotates the reply before it.
 */
export function parseHops(stdout: string): ResultObject[] {
  const hops: ResultObject[] = [];
  for (const line of stdout.split("\n")) {
    const match = HOP_LINE.exec(line);
    if (!match) continue;
    const tokens = match[2]!.trim().split(/\s+/);
    const replies: ResultObject[] = [];
    let from: string | undefined;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      if (token === "*") replies.push({ x: "*" });
      else if (tokens[i + 1] === "ms" && /^[\d.]+$/.test(token)) {
        if (from !== undefined) replies.push({ from, rtt: Number(token) });
        i++;
      } else if (token.startsWith("!")) {
        const last = replies[replies.length - 1];
        if (last && "from" in last) last.err = annotation(token.slice(1));
      } else if (isIP(token) !== 0) from = token;
    }
    hops.push({ hop: Number(match[1]), result: replies });
  }
  return hops;
}

/** `!H`, `!N`, `!P`... keep their letter as RIPE does; `!<num>` is the numeric ICMP code. */
function annotation(text: string): string | number {
  return /^\d+$/.test(text) ? Number(text) : text;
}

function firstLine(text: string): string | undefined {
  return text.split("\n").find((line) => line.trim() !== "")?.trim();
}
