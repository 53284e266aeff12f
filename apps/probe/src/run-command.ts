import { execFile } from "node:child_process";

export interface CommandOutput {
  stdout: string;
  stderr: string;
  /** Exit code; null when the command was killed (e.g. by the timeout). */
  code: number | null;
}

/**
 * Runs a system tool with C locale (its output is parsed) and a hard time limit. A non-zero exit is
 * an outcome, not an exception: ping exits 1 when nothing came back.
 */
export function runCommand(file: string, args: string[], timeoutMs: number): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 4 * 1024 * 1024, env: { ...process.env, LANG: "C", LC_ALL: "C" } },
      (err, stdout, stderr) => {
        if (err instanceof Error && typeof (err as { code?: unknown }).code === "string") {
          reject(err);
          return;
        }
        const code = err ? ((err as { code?: number | null }).code ?? null) : 0;
        resolve({ stdout, stderr, code: err?.killed ? null : code });
      },
    );
  });
}
