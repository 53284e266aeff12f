import { connect as tlsConnect, type DetailedPeerCertificate } from "node:tls";
import { isIP } from "node:net";
import {
  NameResolutionError,
  commonFields,
  describeSocketError,
  elapsedMs,
  intOption,
  requireTarget,
  resolveTarget,
  type MeasurementContext,
  type MeasurementDefinition,
  type ResultObject,
} from "./common.js";

// RIPE writes the negotiated version as "1.2"; Node names it "TLSv1.2".
const VERSIONS: Record<string, { method: "TLS" | "SSL"; ver: string }> = {
  SSLv3: { method: "SSL", ver: "3.0" },
  TLSv1: { method: "TLS", ver: "1.0" },
  "TLSv1.1": { method: "TLS", ver: "1.1" },
  "TLSv1.2": { method: "TLS", ver: "1.2" },
  "TLSv1.3": { method: "TLS", ver: "1.3" },
};

/** A TLS handshake that records the server's certificate chain, as RIPE's `sslgetcert` does. */
export async function run(definition: MeasurementDefinition, ctx: MeasurementContext): Promise<ResultObject> {
  const started = Date.now();
  const target = requireTarget(definition);
  const port = intOption(definition.port, 443, 1, 65535);
  const timeoutMs = intOption(definition.timeout, 10_000, 100, 60_000);

  let resolved;
  try {
    resolved = await resolveTarget(target, definition.af);
  } catch (err) {
    if (!(err instanceof NameResolutionError)) throw err;
    return { ...commonFields("sslcert", ctx, started, { af: definition.af ?? 4, name: target }), dst_port: port, dnserr: err.message };
  }
  const serverName = typeof definition.hostname === "string" && definition.hostname !== "" ? definition.hostname : target;
  const outcome = await handshake(resolved.addr, port, isIP(serverName) === 0 ? serverName : undefined, timeoutMs);
  const { srcAddr, ...fields } = outcome;
  return { ...commonFields("sslcert", ctx, started, { ...resolved, srcAddr }), dst_port: port, ...fields };
}

function handshake(
  addr: string,
  port: number,
  serverName: string | undefined,
  timeoutMs: number,
): Promise<ResultObject & { srcAddr?: string }> {
  return new Promise((resolve) => {
    const startedAt = process.hrtime.bigint();
    let ttc: number | undefined;
    let srcAddr: string | undefined;
    // The certificate is recorded, not trusted: verification is the reader's business.
    const socket = tlsConnect({ host: addr, port, servername: serverName, rejectUnauthorized: false });
    const finish = (fields: ResultObject) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...(srcAddr === undefined ? {} : { srcAddr }), ...(ttc === undefined ? {} : { ttc }), ...fields });
    };
    const timer = setTimeout(() => finish({ error: "timeout" }), timeoutMs);
    socket.once("connect", () => {
      ttc = elapsedMs(startedAt);
      srcAddr = socket.localAddress;
    });
    socket.once("secureConnect", () => {
      const rt = elapsedMs(startedAt);
      const version = VERSIONS[socket.getProtocol() ?? ""] ?? { method: "TLS" as const, ver: socket.getProtocol() ?? "" };
      finish({ ...version, rt, cert: chainOf(socket.getPeerCertificate(true)) });
    });
    socket.once("error", (err) => {
      const stage = ttc === undefined ? "connect" : "handshake";
      finish({ error: `${stage}: ${describeSocketError(err)}`, ...alertOf(err) });
    });
  });
}

/** The chain as the server sent it, leaf first, each certificate in PEM. */
function chainOf(leaf: DetailedPeerCertificate): string[] {
  const chain: string[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = leaf;
  while (cert?.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(toPem(cert.raw));
    cert = cert.issuerCertificate;
  }
  return chain;
}

function toPem(der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return ["-----BEGIN CERTIFICATE-----", ...lines, "-----END CERTIFICATE-----"].join("\n");
}

/** A TLS alert from the server: OpenSSL reports it as `SSL alert number N`. */
function alertOf(err: Error): ResultObject {
  const match = /alert number (\d+)/.exec(err.message);
  return match ? { alert: { level: 2, decription: Number(match[1]) } } : {};
}
