import { headers } from "next/headers";

const GATEWAY_DEFAULT_PORT = 8080;

function hostnameOf(hostHeader: string): string {
  try {
    return new URL(`http://${hostHeader}`).hostname;
  } catch {
    return "localhost";
  }
}

/**
 * Where the visitor's browser reaches the gateway, decided per request so one build serves any
 * deployment: GATEWAY_PUBLIC_URL if set, else the host the visitor used, on the gateway's port.
 */
export async function gatewayUrlForRequest(): Promise<string> {
  const configured = process.env.GATEWAY_PUBLIC_URL;
  if (configured) return configured.replace(/\/+$/, "");
  const host = (await headers()).get("host") ?? "localhost";
  return `http://${hostnameOf(host)}:${GATEWAY_DEFAULT_PORT}`;
}
