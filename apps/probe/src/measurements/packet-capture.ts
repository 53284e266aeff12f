import { spawn } from "node:child_process";
import { networkInterfaces } from "node:os";

export const TCPDUMP_PATH = process.env.PROBE_TCPDUMP_PATH ?? "/usr/bin/tcpdump";

/** Headers of the probe and of the packet an ICMP error quotes fit; `size` comes from the IP header, not the bytes. */
const SNAP_LENGTH = 256;
/** How long tcpdump gets to open its device before we give up on capturing. */
const START_TIMEOUT_MS = 5000;
/** After the traceroute ends, the last replies may still sit in the capture ring buffer. */
const DRAIN_MS = 150;

export interface RunningCapture {
  /** Ends the capture and returns the IP datagrams it saw, in capture order. */
  stop(): Promise<Uint8Array[]>;
}

export type CaptureStart = { ok: true; capture: RunningCapture } | { ok: false; reason: string };

/**
 * Runs `tcpdump -w -` with `filter` on `iface` until stop() or `limitMs`. Capturing needs root or
 * CAP_NET_RAW; without it (or without tcpdump) the result says why, and nothing keeps running.
 */
export function startCapture(iface: string, filter: string, limitMs: number): Promise<CaptureStart> {
  const args = ["-n", "-i", iface, "-U", "--immediate-mode", "-s", String(SNAP_LENGTH), "-w", "-", filter];
  const child = spawn(TCPDUMP_PATH, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LANG: "C", LC_ALL: "C" } });
  const chunks: Buffer[] = [];
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const hardLimit = setTimeout(() => child.kill("SIGKILL"), limitMs);

  return new Promise((resolve) => {
    let settled = false;
    const fail = (reason: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(hardLimit);
      clearTimeout(startLimit);
      child.kill("SIGKILL");
      resolve({ ok: false, reason });
    };
    const startLimit = setTimeout(() => fail(`tcpdump did not start within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.once("error", (err) => fail(`tcpdump: ${err.message}`));
    child.once("exit", () => fail(firstLine(stderr) ?? "tcpdump exited"));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (settled || !/listening on/.test(stderr)) return;
      settled = true;
      clearTimeout(startLimit);
      resolve({
        ok: true,
        capture: {
          async stop() {
            await new Promise((done) => setTimeout(done, DRAIN_MS));
            child.kill("SIGINT");
            await exited;
            clearTimeout(hardLimit);
            return readPcap(Buffer.concat(chunks));
          },
        },
      });
    });
  });
}

/** The interface that holds `address` (the narrowest place to capture), or `any`. */
export function interfaceFor(address: string): string {
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (addresses?.some((info) => info.address === address)) return name;
  }
  return "any";
}

const LINK_ETHERNET = 1;
const LINK_RAW = [12, 101, 228, 229];
const LINK_LINUX_SLL = 113;
const LINK_LINUX_SLL2 = 276;

/**
 * The IP datagrams of a pcap file (possibly truncated at the end, as a killed capture leaves it).
 * Frames that carry neither IPv4 nor IPv6 are skipped.
 */
export function readPcap(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length < 24) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!little && view.getUint32(0, false) !== 0xa1b2c3d4 && view.getUint32(0, false) !== 0xa1b23c4d) {
    throw new Error("not a pcap stream");
  }
  const linkType = view.getUint32(20, little) & 0x0fffffff;
  const datagrams: Uint8Array[] = [];
  for (let offset = 24; offset + 16 <= bytes.length; ) {
    const captured = view.getUint32(offset + 8, little);
    const frame = bytes.subarray(offset + 16, offset + 16 + captured);
    offset += 16 + captured;
    if (frame.length < captured) break;
    const datagram = ipDatagram(frame, linkType);
    if (datagram) datagrams.push(datagram);
  }
  return datagrams;
}

function ipDatagram(frame: Uint8Array, linkType: number): Uint8Array | undefined {
  let start: number;
  let etherType: number | undefined;
  if (linkType === LINK_ETHERNET) {
    start = 14;
    etherType = u16(frame, 12);
    if (etherType === 0x8100) {
      start = 18;
      etherType = u16(frame, 16);
    }
  } else if (linkType === LINK_LINUX_SLL) {
    start = 16;
    etherType = u16(frame, 14);
  } else if (linkType === LINK_LINUX_SLL2) {
    start = 20;
    etherType = u16(frame, 0);
  } else if (LINK_RAW.includes(linkType)) {
    start = 0;
  } else {
    return undefined;
  }
  if (etherType !== undefined && etherType !== 0x0800 && etherType !== 0x86dd) return undefined;
  return frame.length > start ? frame.subarray(start) : undefined;
}

function u16(bytes: Uint8Array, offset: number): number | undefined {
  return offset + 2 <= bytes.length ? (bytes[offset]! << 8) | bytes[offset + 1]! : undefined;
}

function firstLine(text: string): string | undefined {
  return text.split("\n").find((line) => line.trim() !== "")?.trim();
}
