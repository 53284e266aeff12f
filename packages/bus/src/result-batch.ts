/**
 * The bus format of the committed log, as the relay publishes it: one line per result,
 * `<id> <visibility> <msm_id> <prb_id> <timestamp> <type> <json>`, where id is the result's stream
 * position (log order: it orders results and lets a reader resume), visibility is `-` for a public
 * measurement or the owner's user id for a private one, the next four are the result's own fields
 * (so that a gateway routes it, and checks a subscription's end time, without parsing the JSON), and
 * json is the result as stored, `stored_timestamp` included. The first line, `@<ms> <after>`, gives
 * when the batch was stored (Unix milliseconds, for commit-to-client latency) and the position the
 * batch follows: a reader whose last position differs has missed a batch and reads the gap from
 * storage. JSON.stringify output holds no raw newline, so a batch is split without parsing the
 * results themselves.
 */
export interface PublishedResult {
  id: string;
  /** Owner of the private measurement, null when public. */
  privateTo: number | null;
  msmId: number;
  prbId: number;
  /** The probe's measurement time, Unix seconds. */
  timestamp: number;
  type: string;
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
  for (const r of results) out += `${r.id} ${r.privateTo ?? "-"} ${r.msmId} ${r.prbId} ${r.timestamp} ${r.type} ${r.json}\n`;
  return out;
}

/** Fields before the JSON on a result line. */
const HEAD_FIELDS = 6;

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
  const spaces = new Array<number>(HEAD_FIELDS);
  while (start < message.length) {
    let end = message.indexOf("\n", start);
    if (end === -1) end = message.length;
    let at = start - 1;
    let found = 0;
    while (found < HEAD_FIELDS) {
      at = message.indexOf(" ", at + 1);
      if (at === -1 || at >= end) break;
      spaces[found++] = at;
    }
    if (found === HEAD_FIELDS && spaces[0]! > start) {
      const visibility = message.slice(spaces[0]! + 1, spaces[1]);
      out.push({
        id: message.slice(start, spaces[0]),
        privateTo: visibility === "-" ? null : Number(visibility),
        msmId: Number(message.slice(spaces[1]! + 1, spaces[2])),
        prbId: Number(message.slice(spaces[2]! + 1, spaces[3])),
        timestamp: Number(message.slice(spaces[3]! + 1, spaces[4])),
        type: message.slice(spaces[4]! + 1, spaces[5]),
        json: message.slice(spaces[5]! + 1, end),
      });
    }
    start = end + 1;
  }
  return { committedAt, after, results: out };
}
