/**
 * The bus format of the committed log, as the relay publishes it: one line per result,
 * `<id> <visibility> <json>`, where id is the result's stream position (log order: it orders
 * results and lets a reader resume), visibility is `-` for a public measurement or the owner's user
 * id for a private one, and json is the result as stored, `stored_timestamp` included. The first
 * line, `@<ms> <after>`, gives when the batch was stored (Unix milliseconds, for commit-to-client
 * latency) and the position the batch follows: a reader whose last position differs has missed a
 * batch and reads the gap from storage. JSON.stringify output holds no raw newline, so a batch is
 * split without parsing the results themselves.
 */
export interface PublishedResult {
  id: string;
  /** Owner of the private measurement, null when public. */
  privateTo: number | null;
  json: string;
}

export interface ResultBatch {
  committedAt: number;
  /** The position of the result before the batch's first one in the log. */
  after: string;
  results: PublishedResult[];
}

export function encodeResultBatch(results: readonly PublishedResult[], after: string, committedAt = Date.now()): string {
  let out = `@${committedAt} ${after}\n`;
  for (const r of results) out += `${r.id} ${r.privateTo ?? "-"} ${r.json}\n`;
  return out;
}

export function decodeResultBatch(message: string): ResultBatch {
  const out: PublishedResult[] = [];
  let start = 0;
  let committedAt = 0;
  let after = "0";
  if (message.startsWith("@")) {
    start = message.indexOf("\n") + 1 || message.length;
    const [ms, previous] = message.slice(1, start - 1).split(" ");
    committedAt = Number(ms);
    if (previous) after = previous;
  }
  while (start < message.length) {
    let end = message.indexOf("\n", start);
    if (end === -1) end = message.length;
    const first = message.indexOf(" ", start);
    const second = first === -1 ? -1 : message.indexOf(" ", first + 1);
    if (first > start && second > first && second < end) {
      const visibility = message.slice(first + 1, second);
      out.push({
        id: message.slice(start, first),
        privateTo: visibility === "-" ? null : Number(visibility),
        json: message.slice(second + 1, end),
      });
    }
    start = end + 1;
  }
  return { committedAt, after, results: out };
}
