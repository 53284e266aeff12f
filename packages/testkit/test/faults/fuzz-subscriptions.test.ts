import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { io } from "socket.io-client";
import WebSocket from "ws";
import { messageText } from "../../src/index.js";
import { Deployment, SUBSCRIPTION_KEYS, fuzzSeeds, runCases, subscriptionPayload, subscriptionQuery, summarize, type AppProcess } from "../../src/faults/index.js";

// Property-based fuzzing of atlas_subscribe on every transport: whatever the parameters, each
// subscription gets atlas_subscribed or an atlas_error naming its parameter, the connection stays
// open, the gateway does not crash or hang and its memory stays bounded.
const CASES_PER_SEED = 5_000;
const PER_CONNECTION = 50;
let d: Deployment;
const seeds = fuzzSeeds(20_261_202);
const started = Date.now();

beforeAll(async () => {
  // Behind a trusted proxy, each case comes from its own address: the per-address limits stay out of the way.
  d = await Deployment.start({ ingests: 1, gateways: 0 });
  await d.startGateway({ GATEWAY_TRUST_PROXY: "1" });
  console.log(`fuzz seeds: ${seeds.join(", ")} (FUZZ_SEED=${seeds[1]} repeats this run)`);
}, 120_000);

afterAll(async () => {
  await d?.stop();
  console.log(`fuzz-subscriptions: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

/** The gateway's last words when it died. */
const deathOf = (gateway: AppProcess) => (gateway.alive ? "" : `\ngateway exited ${JSON.stringify(gateway.exit)}:\n${gateway.tail(25)}`);

const cases = () => seeds.flatMap((seed) => fc.sample(subscriptionPayload(), { seed, numRuns: CASES_PER_SEED }));
const chunks = <T>(all: T[], n: number) => Array.from({ length: Math.ceil(all.length / n) }, (_, i) => all.slice(i * n, (i + 1) * n));

interface Reply {
  event: string;
  payload: unknown;
}

/** Why a reply to a subscription is wrong, or undefined. */
function judge(reply: Reply): string | undefined {
  if (reply.event === "atlas_subscribed") return undefined;
  const e = reply.payload as { message?: unknown; parameter?: unknown };
  if (typeof e?.message !== "string" || !e.message) return "atlas_error without a message";
  return undefined;
}

/** Sends a batch of subscriptions over one connection; resolves with the replies, or why they did not all come. */
async function batchOver(
  open: (onReply: (r: Reply) => void, onClose: () => void) => Promise<{ send: (p: unknown) => void; close: () => void }>,
  batch: unknown[],
): Promise<string | undefined> {
  const replies: Reply[] = [];
  let closed = false;
  const conn = await open((r) => replies.push(r), () => (closed = true));
  for (const p of batch) conn.send(p);
  const deadline = Date.now() + 15_000;
  while (replies.length < batch.length && !closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const closedByServer = closed;
  conn.close();
  if (closedByServer) return `connection closed after ${replies.length} of ${batch.length} replies`;
  if (replies.length < batch.length) return `only ${replies.length} of ${batch.length} replies within 15 s`;
  for (const r of replies) {
    const why = judge(r);
    if (why) return why;
  }
  return undefined;
}

const errorTally = new Map<string, number>();
const tally = (r: Reply) => {
  if (r.event === "atlas_error") {
    const named = (r.payload as { parameter?: string })?.parameter;
    const parameter = named === undefined ? "(none)" : SUBSCRIPTION_KEYS.includes(named) ? named : "(another)";
    errorTally.set(parameter, (errorTally.get(parameter) ?? 0) + 1);
  }
};

describe("fuzz: stream subscriptions", () => {
  it(`${2 * CASES_PER_SEED} subscriptions on the plain WebSocket, ${PER_CONNECTION} per connection`, async () => {
    const gateway = d.gateways[0]!;
    const rssBefore = gateway.rssMb();
    errorTally.clear();
    const failures = await runCases(chunks(cases(), PER_CONNECTION), 4, (batch) =>
      batchOver(async (onReply, onClose) => {
        const ws = new WebSocket(`${gateway.url.replace(/^http/, "ws")}/stream/`, { headers: { "x-forwarded-for": `10.1.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` } });
        ws.on("message", (data) => {
          const [event, payload] = JSON.parse(messageText(data)) as [string, unknown];
          if (event === "atlas_subscribed" || event === "atlas_error") {
            onReply({ event, payload });
            tally({ event, payload });
          }
        });
        ws.on("close", onClose);
        await new Promise((resolve, reject) => {
          ws.once("open", resolve);
          ws.once("error", reject);
        });
        return { send: (p) => ws.send(JSON.stringify(["atlas_subscribe", p])), close: () => ws.terminate() };
      }, batch),
    );
    console.log(`websocket: errors by parameter ${JSON.stringify(Object.fromEntries(errorTally))}; gateway RSS ${rssBefore} → ${gateway.rssMb()} MB\n${summarize(failures)}${deathOf(gateway)}`);
    expect(gateway.alive).toBe(true);
    expect(failures.map((f) => f.reason)).toEqual([]);
    expect(gateway.rssMb() - rssBefore).toBeLessThan(200);
  }, 170_000);

  it(`${2 * CASES_PER_SEED} subscriptions on socket.io, ${PER_CONNECTION} per connection`, async () => {
    const gateway = d.gateways[0]!;
    const rssBefore = gateway.rssMb();
    errorTally.clear();
    const failures = await runCases(chunks(cases(), PER_CONNECTION), 4, (batch) =>
      batchOver(async (onReply, onClose) => {
        const socket = io(gateway.url, { path: "/stream/socket.io", transports: ["websocket"], forceNew: true, reconnection: false });
        for (const event of ["atlas_subscribed", "atlas_error"]) {
          socket.on(event, (payload: unknown) => {
            onReply({ event, payload });
            tally({ event, payload });
          });
        }
        socket.on("disconnect", onClose);
        await new Promise((resolve, reject) => {
          socket.once("connect", () => resolve(undefined));
          socket.once("connect_error", reject);
        });
        return { send: (p) => socket.emit("atlas_subscribe", p), close: () => socket.close() };
      }, batch),
    );
    console.log(`socket.io: errors by parameter ${JSON.stringify(Object.fromEntries(errorTally))}; gateway RSS ${rssBefore} → ${gateway.rssMb()} MB\n${summarize(failures)}${deathOf(gateway)}`);
    expect(gateway.alive).toBe(true);
    expect(failures.map((f) => f.reason)).toEqual([]);
    expect(gateway.rssMb() - rssBefore).toBeLessThan(200);
  }, 170_000);

  it(`${2 * CASES_PER_SEED} subscriptions on the HTTP stream: atlas_subscribed or a 4xx naming the parameter`, async () => {
    const gateway = d.gateways[0]!;
    const rssBefore = gateway.rssMb();
    const statuses: Record<number, number> = {};
    const failures = await runCases(cases(), 16, async (payload) => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 15_000);
      try {
        const res = await fetch(`${gateway.url}/stream/?${subscriptionQuery(payload)}`, {
          signal: controller.signal,
          headers: { "x-forwarded-for": `10.2.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` },
        });
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 200) {
          const reader = res.body!.getReader();
          let text = "";
          while (!text.includes("\n")) {
            const { done, value } = await reader.read();
            if (done) break;
            text += new TextDecoder().decode(value);
          }
          const event = (JSON.parse(text.split("\n")[0]!) as unknown[])[0];
          return event === "atlas_subscribed" ? undefined : `200 whose first line is ${String(event)}`;
        }
        const body = (await res.json()) as { error?: { errors?: { source?: { pointer?: string } }[] } };
        if (res.status >= 500) return `${res.status}`;
        if (res.status === 400 && !body.error?.errors?.[0]?.source?.pointer) return "400 naming no parameter";
        return undefined;
      } finally {
        clearTimeout(timer);
        controller.abort();
      }
    });
    console.log(`http: statuses ${JSON.stringify(statuses)}; gateway RSS ${rssBefore} → ${gateway.rssMb()} MB\n${summarize(failures)}${deathOf(gateway)}`);
    expect(gateway.alive).toBe(true);
    expect(failures.map((f) => f.reason)).toEqual([]);
    expect(gateway.rssMb() - rssBefore).toBeLessThan(200);
  }, 170_000);
});
