/** Environment readers shared by every app's `main`, so settings are named and checked one way. */
export function envPort(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be a TCP port number, got "${raw}"`);
  }
  return port;
}

/** A nice value, 0 (normal) to 19 (lowest CPU priority); unset is `fallback`. */
export function envNice(name: string, fallback: number): number {
  const raw = envString(name);
  if (raw === undefined) return fallback;
  const nice = Number(raw);
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new Error(`${name} must be a nice value from 0 to 19, got "${raw}"`);
  return nice;
}

/** A positive whole number (a limit, a count); unset is `fallback`. */
export function envCount(name: string, fallback: number): number {
  const raw = envString(name);
  if (raw === undefined) return fallback;
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1) throw new Error(`${name} must be a whole number of at least 1, got "${raw}"`);
  return count;
}

/** `envCount` for a setting with no default: undefined when unset. */
export function envOptionalCount(name: string): number | undefined {
  return envString(name) === undefined ? undefined : envCount(name, 0);
}

export function envString(name: string): string | undefined {
  const raw = process.env[name];
  return raw === undefined || raw === "" ? undefined : raw;
}

/** A yes/no setting: `1`/`true`/`yes` or `0`/`false`/`no`; unset is no. */
export function envFlag(name: string): boolean {
  const raw = envString(name)?.toLowerCase();
  if (raw === undefined || ["0", "false", "no"].includes(raw)) return false;
  if (["1", "true", "yes"].includes(raw)) return true;
  throw new Error(`${name} must be 1 or 0, got "${process.env[name]}"`);
}

/** A URL with the values of its `key` parameters (API keys) replaced, for logs. */
export function redactedUrl(url: string): string {
  return url.replace(/([?&](?:key|token)=)[^&#]*/gi, "$1[redacted]");
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/**
 * Options for fastify's pino logger: LOG_LEVEL (default info), and request URLs logged without
 * the API keys clients give as `?key=`.
 */
export function loggerOptions(): { level: string; serializers: { req: (request: LoggedRequest) => object } } {
  return {
    level: envString("LOG_LEVEL") ?? "info",
    serializers: {
      req: (request) => ({
        method: request.method,
        url: redactedUrl(request.url),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
    },
  };
}
