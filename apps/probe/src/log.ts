/** What the agent logs through; pino, console or a test's collector all fit. */
export interface Logger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** One JSON line per event on stderr, so stdout stays free for whoever runs the agent. */
export const stderrLogger: Logger = {
  info: (fields, message) => writeLine("info", fields, message),
  warn: (fields, message) => writeLine("warn", fields, message),
  error: (fields, message) => writeLine("error", fields, message),
};

function writeLine(level: string, fields: object, message: string): void {
  const line = { time: new Date().toISOString(), level, msg: message, ...describeErrors(fields) };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

function describeErrors(fields: object): object {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) out[key] = value instanceof Error ? value.message : value;
  return out;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
