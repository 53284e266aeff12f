// A traceroute result as hops, and several probes' paths merged into one graph.
import { errorOf, num, records, text, type UntypedResult } from "./fields";

export interface Hop {
  hop: number;
  /** Distinct addresses that answered, in order of first answer. */
  addresses: string[];
  rtts: number[];
  /** Probe packets sent at this hop (answered or not). */
  sent: number;
  error: string | null;
}

export function hopsOf(result: UntypedResult): Hop[] {
  return records(result.result).map((entry) => {
    const replies = records(entry.result);
    const addresses: string[] = [];
    const rtts: number[] = [];
    for (const reply of replies) {
      const from = text(reply.from);
      if (from && !addresses.includes(from)) addresses.push(from);
      const rtt = num(reply.rtt);
      if (rtt !== null) rtts.push(rtt);
    }
    const replyError = replies.map((reply) => errorOf(reply)).find((e) => e !== null) ?? null;
    return { hop: num(entry.hop) ?? 0, addresses, rtts, sent: replies.length, error: errorOf(entry) ?? replyError };
  });
}

export interface PathNode {
  id: string;
  label: string;
  kind: "probe" | "hop" | "silent" | "destination";
  column: number;
  row: number;
  /** How many probes' paths pass through it. */
  probes: number;
}

export interface PathEdge {
  from: string;
  to: string;
  /** The last hop heard is not the destination: the path's end is unknown. */
  unreached: boolean;
}

export interface PathGraph {
  nodes: PathNode[];
  edges: PathEdge[];
  columns: number;
  rows: number;
}

/** Probes' latest paths to one destination; a hop answered by the same address is one node. */
export function mergePaths(paths: { prbId: number; result: UntypedResult }[]): PathGraph {
  const nodes = new Map<string, PathNode>();
  const edges = new Map<string, PathEdge>();
  const destination = paths.map((p) => text(p.result.dst_addr)).find((d) => d !== null) ?? "destination";
  const node = (id: string, label: string, kind: PathNode["kind"], column: number): PathNode => {
    const existing = nodes.get(id);
    if (existing) {
      existing.column = Math.max(existing.column, column);
      existing.probes += 1;
      return existing;
    }
    const created: PathNode = { id, label, kind, column, row: 0, probes: 1 };
    nodes.set(id, created);
    return created;
  };
  for (const { prbId, result } of paths) {
    let previous = node(`probe:${prbId}`, `Probe ${prbId}`, "probe", 0);
    const hops = hopsOf(result);
    let reached = false;
    hops.forEach((hop, index) => {
      const address = hop.addresses[0];
      const current = address
        ? node(address === destination ? "destination" : address, address, address === destination ? "destination" : "hop", index + 1)
        : node(`silent:${prbId}:${hop.hop}`, "*", "silent", index + 1);
      if (current.kind === "destination") reached = true;
      edges.set(`${previous.id}>${current.id}`, { from: previous.id, to: current.id, unreached: false });
      previous = current;
    });
    if (!reached) {
      const end = node("destination", destination, "destination", hops.length + 1);
      edges.set(`${previous.id}>${end.id}`, { from: previous.id, to: end.id, unreached: true });
    }
  }
  const columns = Math.max(0, ...[...nodes.values()].map((n) => n.column)) + 1;
  const dest = nodes.get("destination");
  if (dest) dest.column = columns - 1;
  const perColumn = new Array<number>(columns).fill(0);
  for (const n of nodes.values()) {
    n.row = perColumn[n.column] ?? 0;
    perColumn[n.column] = n.row + 1;
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()], columns, rows: Math.max(1, ...perColumn) };
}
