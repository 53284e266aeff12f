import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import {
  NameResolutionError,
  commonFields,
  describeSocketError,
  elapsedMs,
  intOption,
  requireTarget,
  resolveTarget,
  type AddressFamily,
  type MeasurementContext,
  type MeasurementDefinition,
  type ResultObject,
} from "./common.js";

const METHODS = new Set(["GET", "HEAD", "POST"]);

/** One HTTP request, timed: status, header and body sizes, protocol version (RIPE `httpget`). */
export async function run(definition: MeasurementDefinition, ctx: MeasurementContext): Promise<ResultObject> {
  const started = Date.now();
  const target = requireTarget(definition);
  const https = definition.https === true;
  const port = intOption(definition.port, https ? 443 : 80, 1, 65535);
  const method = METHODS.has(String(definition.method ?? "GET").toUpperCase()) ? String(definition.method ?? "GET").toUpperCase() : "GET";
  const path = pathOf(definition);
  const timeoutMs = intOption(definition.timeout, 10_000, 100, 60_000);
  const headerBytes = intOption(definition.header_bytes, 0, 0, 2048);
  const host = typeof definition.hostname === "string" && definition.hostname !== "" ? definition.hostname : target;
  const uri = `${https ? "https" : "http"}://${isIP(host) === 6 ? `[${host}]` : host}:${port}${path}`;

  let resolved;
  try {
    resolved = await resolveTarget(target, definition.af);
  } catch (err) {
    if (!(err instanceof NameResolutionError)) throw err;
    const af = definition.af ?? 4;
    return { ...commonFields("http", ctx, started, { af, name: target }), uri, result: [{ af, method, dnserr: err.message }] };
  }
  const entry = await fetchOnce({
    https,
    addr: resolved.addr,
    af: resolved.af,
    port,
    method,
    path,
    host,
    version: definition.version === "1.0" ? "1.0" : "1.1",
    headerBytes,
    timeoutMs,
  });
  const { src_addr: srcAddr } = entry as { src_addr?: string };
  return { ...commonFields("http", ctx, started, { ...resolved, srcAddr }), uri, result: [entry] };
}

function pathOf(definition: MeasurementDefinition): string {
  const path = typeof definition.path === "string" && definition.path !== "" ? definition.path : "/";
  const withSlash = path.startsWith("/") ? path : `/${path}`;
  const query = typeof definition.query_string === "string" && definition.query_string !== "" ? `?${definition.query_string}` : "";
  return withSlash + query;
}

interface RequestPlan {
  https: boolean;
  addr: string;
  af: AddressFamily;
  port: number;
  method: string;
  path: string;
  host: string;
  version: "1.0" | "1.1";
  headerBytes: number;
  timeoutMs: number;
}

function fetchOnce(plan: RequestPlan): Promise<ResultObject> {
  return new Promise((resolve) => {
    const startedAt = process.hrtime.bigint();
    const entry: ResultObject = { af: plan.af, dst_addr: plan.addr, method: plan.method };
    let done = false;
    const finish = (fields: ResultObject) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ...entry, ...fields });
    };
    const send = plan.https ? httpsRequest : httpRequest;
    const req = send({
      host: plan.addr,
      port: plan.port,
      method: plan.method,
      path: plan.path,
      headers: {
        host: plan.host,
        "user-agent": "probestream-probe",
        ...(plan.version === "1.0" ? { connection: "close" } : {}),
      },
      agent: false,
      servername: plan.https && isIP(plan.host) === 0 ? plan.host : undefined,
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => finish({ err: "timeout", rt: elapsedMs(startedAt) }), plan.timeoutMs);
    req.on("socket", (socket) => {
      socket.once("connect", () => {
        entry.src_addr = socket.localAddress;
      });
    });
    req.on("error", (err) => {
      const stage = entry.src_addr === undefined ? "connect" : "read";
      finish({ err: `${stage}: ${describeSocketError(err)}` });
    });
    req.on("response", (res: IncomingMessage) => {
      let bsize = 0;
      res.on("data", (chunk: Buffer) => {
        bsize += chunk.length;
      });
      res.on("error", (err) => finish({ err: `read: ${describeSocketError(err)}` }));
      res.on("end", () => {
        const lines = headerLines(res);
        const fields: ResultObject = {
          res: res.statusCode ?? 0,
          rt: elapsedMs(startedAt),
          hsize: lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 2, 0) + 2,
          bsize,
          ver: res.httpVersion,
        };
        if (plan.headerBytes > 0) fields.header = truncateHeader(lines, plan.headerBytes);
        finish(fields);
      });
    });
    req.end();
  });
}

/** The status line and header lines as received (Node keeps raw names, values and order). */
function headerLines(res: IncomingMessage): string[] {
  const lines = [`HTTP/${res.httpVersion} ${res.statusCode ?? 0} ${res.statusMessage ?? ""}`.trimEnd()];
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
  return lines;
}

/** The first `limit` bytes of the header, as RIPE's `header_bytes` option asks, one string per line. */
function truncateHeader(lines: string[], limit: number): string[] {
  const kept: string[] = [];
  let left = limit;
  for (const line of lines) {
    if (left <= 0) break;
    kept.push(line.slice(0, left));
    left -= Buffer.byteLength(line) + 2;
  }
  return kept;
}
