import type { SslcertResult } from "@probestream/types";
import { sampleRtt } from "../paths.js";
import { Random, roundTo, seedOf } from "../random.js";
import { destinationFields, intOption, sceneOf, type GeneratorContext } from "./context.js";

/**
 * A real self-signed certificate (EC P-256, CN www.example.net, made with openssl for the
 * simulator): the chain every simulated server presents.
 */
export const SIMULATED_CERTIFICATE_PEM = [
  "-----BEGIN CERTIFICATE-----",
  "MIICDDCCAbKgAwIBAgIUCF6BfRoY/5w6Decf3OSxaWAHDEIwCgYIKoZIzj0EAwIw",
  "RzELMAkGA1UEBhMCTkwxHjAcBgNVBAoMFVByb2Jlc3RyZWFtIFNpbXVsYXRvcjEY",
  "MBYGA1UEAwwPd3d3LmV4YW1wbGUubmV0MB4XDTI2MTEyNzAzMTk0MloXDTM2MTEy",
  "NDAzMTk0MlowRzELMAkGA1UEBhMCTkwxHjAcBgNVBAoMFVByb2Jlc3RyZWFtIFNp",
  "bXVsYXRvcjEYMBYGA1UEAwwPd3d3LmV4YW1wbGUubmV0MFkwEwYHKoZIzj0CAQYI",
  "KoZIzj0DAQcDQgAE9Hla6N7e/zG2YZn6TpbmxLaX6XApvm8iVqR6IN2juFqZXn+r",
  "nJquFEgE1prc8DTj+CayhLp7B1HhHb5UHvfI3qN8MHowHQYDVR0OBBYEFF2R7Oga",
  "hs37KV+VofcJJE+HiyC6MB8GA1UdIwQYMBaAFF2R7Ogahs37KV+VofcJJE+HiyC6",
  "MA8GA1UdEwEB/wQFMAMBAf8wJwYDVR0RBCAwHoIPd3d3LmV4YW1wbGUubmV0ggtl",
  "eGFtcGxlLm5ldDAKBggqhkjOPQQDAgNIADBFAiBiqLdZ4cQqZNtWI8m6mJTBhQSS",
  "xCFefeLEVpM2ODTMKQIhAMA0ArVPu7ayP2Wgf8j2AdFDR4bKaUngXMnqt08sDYdg",
  "-----END CERTIFICATE-----",
].join("\n");

export function generateSslcert(context: GeneratorContext): SslcertResult {
  const { target, path } = sceneOf(context);
  const { random } = context;
  const common = { ...destinationFields(context, target), type: "sslcert" as const, dst_port: String(intOption(context, "port", 443, 1, 65535)) };
  if (!path.reachable) return { ...common, error: "connect: timeout" };

  // Servers speak one TLS version; TLS 1.3 finishes the handshake one round trip sooner.
  const version = new Random(seedOf("tls", target.name)).chance(0.7) ? "1.3" : "1.2";
  const connectMs = sampleRtt(path.rttMs, path, random);
  const handshakeRoundTrips = version === "1.3" ? 1 : 2;
  let handshakeMs = random.between(0.5, 4);
  for (let trip = 0; trip < handshakeRoundTrips; trip++) handshakeMs += sampleRtt(path.rttMs, path, random);
  return {
    ...common,
    method: "TLS",
    ver: version,
    ttc: connectMs,
    rt: roundTo(connectMs + handshakeMs, 3),
    cert: [SIMULATED_CERTIFICATE_PEM],
  };
}
