/**
 * The seed's week as a soak (issue 14): the whole platform at RIPE Atlas's stated load, at once.
 *
 * Ingest and gateway each in their own process, joined by a private redis-server, on a throwaway
 * database. A simulated fleet (its own process, seed-week-fleet.ts) of `probes` probes with
 * controller sessions, `anchors` of them anchors, spread over the simulator's cities, ASNs and
 * prefixes, sessions churning. Over `seconds`, `measurements` measurements are created through the
 * REST API (the week compressed): all six types, one-off and periodic, every kind of probe
 * selection, public and private, by several users; first one anchoring measurement per anchor.
 * The results are what the probes run of their assignments; periodic measurements stop at a time
 * chosen so that the schedules add up to `targetRate` results/s once the run is past its ramp.
 * At the same time: `subscribers` stream clients (two processes) with mixed filters, each resuming
 * from the start of the log so that its count is exact; `downloads` clients downloading the busiest
 * measurements; a client paging the measurement list; measurements stopped by their users; and a
 * marker probe posting a few results a second whose post → subscriber time is the stream latency.
 *
 * Afterwards the counts must add up: created = listed; acknowledged = stored; each subscriber
 * received exactly what storage holds for its filter; errors = 0.
 *
 *   npm run bench:seed-week -- [seconds=1800] [measurements=35000]   full scale (≥ 1800 s for the figures)
 *   npm run bench:seed-week -- --smoke            reduced counts, about a minute
 */
import { fork, type ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { CITIES, Random } from "@probestream/simulator";
import { createApiKey, createTestDatabase, pingResult, postResults, registerProbe, restCall, type TestProbe } from "@probestream/testkit";
import { AppProcess, PrivateRedis, rssMb } from "../packages/testkit/src/faults/index.js";
import { cpuSeconds } from "./cpu-usage.js";
import type { SeedFleetMessage, SeedFleetOptions } from "./seed-week-fleet.js";
import { ClientFleets, Histogram, sleep, type Json } from "./stream-harness.js";

export interface SeedWeekOptions {
  /** How long measurements are created and results flow. */
  seconds: number;
  probes: number;
  anchors: number;
  /** User-defined measurements created over the run (besides one anchoring measurement per anchor). */
  measurements: number;
  subscribers: number;
  downloads: number;
  /** Results/s the schedules aim at once every periodic measurement's lifetime has been reached. */
  targetRate: number;
  /** Share of the probes' sessions that drop each minute (and come back 5-30 s later). */
  churnPerMinute: number;
  /** Probes measuring each anchor. */
  anchoringProbes: number;
  /** Where progress lines go; default stdout. */
  log?: (line: string) => void;
}

export const FULL_SCALE: Omit<SeedWeekOptions, "seconds"> = {
  probes: 8200, anchors: 119, measurements: 35_000, subscribers: 1000, downloads: 10,
  targetRate: 2500, churnPerMinute: 0.01, anchoringProbes: 50,
};

export const SMOKE: SeedWeekOptions = {
  seconds: 25, probes: 200, anchors: 4, measurements: 80, subscribers: 20, downloads: 2,
  targetRate: 100, churnPerMinute: 0.05, anchoringProbes: 10,
};

export interface SubscriberCount {
  filter: Json;
  received: number;
  /** What storage holds for the filter (public results only: the subscribers are anonymous). */
  expected: number;
}

export interface SeedWeekReport {
  created: number;
  /** Measurement ids the list pages through at the end, and whether they are exactly the created ones. */
  listed: number;
  listedMatchesCreated: boolean;
  /** Results the ingest API answered as stored (the fleet's and the marker's). */
  acknowledged: number;
  stored: number;
  subscribers: SubscriberCount[];
  /** Every failure, by kind (must be empty). */
  errors: Map<string, number>;
  /** The printed figures. */
  lines: string[];
}

const ADMIN = "bench-seed-week";
/** Users creating measurements: at least this many, and enough that none exceeds 1,000 requests a minute (the gateway allows 1,200 a key). */
const MIN_USERS = 8;
const FIRST_PROBE_ID = 1_000_001;
/** An id below 10,000,000 that no user defined: open to every registered probe (the marker's). */
const MARKER_MSM = 9_000_001;
const MARKER_PRB = 999_001;
const MARKER_EVERY_MS = 100;
const SAMPLE_EVERY_MS = 5000;
const FIRST_USER_MSM = 10_000_000;
const RIGHTS = ["measurements:create", "results:read_private"];

const TYPES = [
  { type: "ping", weight: 35 }, { type: "traceroute", weight: 25 }, { type: "dns", weight: 15 },
  { type: "sslcert", weight: 10 }, { type: "ntp", weight: 8 }, { type: "http", weight: 7 },
] as const;
const REQUESTED = [{ n: 5, w: 2 }, { n: 10, w: 3 }, { n: 20, w: 3 }, { n: 50, w: 2 }, { n: 100, w: 1 }];
const INTERVALS = [{ s: 60, w: 2 }, { s: 120, w: 1 }, { s: 300, w: 1 }];
const AREAS = ["WW", "West", "North-Central", "South-Central", "North-East", "South-East"];
const PERIODIC_SHARE = 0.55;
const PRIVATE_SHARE = 0.1;
/** Of the periodic measurements, the share their users stop early (status changes). */
const STOPPED_SHARE = 0.05;
const ANCHORING_INTERVAL = 240;

const now = () => performance.timeOrigin + performance.now();
const ms = (v: number) => `${v.toFixed(0)} ms`;
const p5099 = (h: Histogram) => (h.count === 0 ? "none" : `p50 ${ms(h.percentile(50))}  p99 ${ms(h.percentile(99))}  (${h.count})`);

/** A counter's value from a Prometheus text page (summed over its labels). */
function metric(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/** One measurement definition of a user, as a person would write it. */
function definitionOf(random: Random, type: string, anchorAddresses: string[], periodic: boolean, interval: number): Json {
  const host = random.pick(["k.root-servers.net", "www.ripe.net", ...anchorAddresses.slice(0, 20)]);
  const common = { af: 4, description: `seed-week ${type}`, ...(periodic ? { interval } : {}) };
  switch (type) {
    case "ping": return { type, target: host, packets: 3, ...common };
    case "traceroute": return { type, target: host, protocol: random.pick(["ICMP", "UDP", "TCP"]), ...common };
    case "dns": return random.chance(0.5)
      ? { type, use_probe_resolver: true, query_class: "IN", query_type: random.pick(["A", "AAAA", "NS", "SOA"]), query_argument: "ripe.net", ...common }
      : { type, target: "k.root-servers.net", query_class: "CHAOS", query_type: "TXT", query_argument: "hostname.bind", ...common };
    case "sslcert": return { type, target: "www.ripe.net", port: 443, ...common };
    case "ntp": return { type, target: random.pick(["ntp.ripe.net", "pool.ntp.org"]), ...common };
    default: return { type, target: "www.ripe.net", method: "GET", path: "/", ...common };
  }
}

/** A probe selection of a random kind, from what the fleet's geography holds. */
function selectionOf(random: Random, o: SeedWeekOptions, requested: number, earlier: number[]): Json {
  const city = random.pick(CITIES);
  const isp = random.pick(city.isps);
  const kind = random.pick(["area", "country", "asn", "prefix", "probes", "msm"] as const);
  if (kind === "area") return { type: "area", value: random.pick(AREAS), requested };
  if (kind === "country") return { type: "country", value: city.countryCode, requested };
  if (kind === "asn") return { type: "asn", value: isp.asn, requested };
  if (kind === "prefix") return { type: "prefix", value: isp.prefix, requested };
  if (kind === "msm" && earlier.length > 0) return { type: "msm", value: random.pick(earlier), requested };
  // A list of probe ids (also when there is no measurement to copy yet).
  const ids = new Set<number>();
  while (ids.size < Math.min(requested, 20)) ids.add(FIRST_PROBE_ID + random.int(0, o.probes - 1));
  return { type: "probes", value: [...ids].join(","), requested: ids.size };
}

/** The mixed stream filters: mostly one measurement or one probe, a few by type or everything. */
function subscriptionsOf(random: Random, o: SeedWeekOptions, anchoringIds: number[]): Json[] {
  const types = TYPES.map((t) => t.type);
  const userIds = (n: number) => FIRST_USER_MSM + anchoringIds.length + random.int(0, n - 1);
  const probe = () => FIRST_PROBE_ID + random.int(0, o.probes - 1);
  const subs: Json[] = [];
  for (let i = 0; i < o.subscribers; i++) {
    const r = random.next();
    const filter: Json =
      i === 0 ? {} :
      i === 1 ? { msm: MARKER_MSM } :
      r < 0.005 ? {} :
      r < 0.025 ? { type: random.pick(types) } :
      r < 0.2 ? { msm: random.pick(anchoringIds) } :
      r < 0.45 ? { msm: userIds(Math.min(o.measurements, 200)) } :
      r < 0.55 ? { msm: userIds(o.measurements) } :
      r < 0.9 ? { prb: probe() } :
      { prb: probe(), type: random.pick(types) };
    const wide = filter.msm === undefined && filter.prb === undefined;
    subs.push({ stream_type: "result", resumeFrom: "0", ...(wide ? { buffering: true } : {}), ...filter });
  }
  return subs;
}

/** Runs the soak; resolves with its counts and printed figures. Everything it starts is stopped. */
export async function runSeedWeek(o: SeedWeekOptions): Promise<SeedWeekReport> {
  const lines: string[] = [];
  const print = (line: string) => {
    lines.push(line);
    (o.log ?? console.log)(line);
  };
  const errors = new Map<string, number>();
  const fail = (kind: string) => errors.set(kind, (errors.get(kind) ?? 0) + 1);
  const random = new Random(14);

  const bootFrom = now();
  const db = await createTestDatabase("bench_seed_week");
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  const redis = await PrivateRedis.start();
  const env = {
    DATABASE_URL: db.url, REDIS_URL: redis.url, INGEST_ADMIN_TOKEN: ADMIN, LOG_LEVEL: "warn", METRICS_OPEN: "1",
    STREAM_SESSIONS_PER_ADDRESS: String(o.subscribers + 100),
  };
  const started: { stop(): Promise<unknown> }[] = [];
  let fleetChild: ChildProcess | undefined;
  let clients: ClientFleets | undefined;
  try {
    const ingest = await AppProcess.start("ingest", env);
    started.push({ stop: () => ingest.terminate() });
    const gateway = await AppProcess.start("gateway", env);
    started.push({ stop: () => gateway.terminate() });
    print(`platform up (database, redis-server, ingest, gateway) after ${((now() - bootFrom) / 1000).toFixed(0)} s`);
    const users = Math.max(MIN_USERS, Math.ceil((o.measurements / o.seconds) * 60 * 1.2 / 1000));
    const keys = await Promise.all(Array.from({ length: users }, (_, i) => createApiKey(db.url, `seed-user-${i}`, RIGHTS)));
    const reader = await createApiKey(db.url, "seed-portal", RIGHTS);
    // Each downloader a user of its own: a key's requests are rate-limited together.
    const downloaders = await Promise.all(Array.from({ length: o.downloads }, (_, i) => createApiKey(db.url, `seed-downloader-${i}`, RIGHTS)));

    // The fleet: registered, sessions open.
    const fleetOptions: SeedFleetOptions = {
      ingestUrl: ingest.url, adminToken: ADMIN, probes: o.probes, anchors: o.anchors, churnPerMinute: o.churnPerMinute,
      firstProbeId: FIRST_PROBE_ID, rate: 1, measurements: [], batchMs: 1000,
    };
    const child = fork(fileURLToPath(new URL("./seed-week-fleet.ts", import.meta.url)), [JSON.stringify(fleetOptions)], {
      execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    fleetChild = child;
    const assignedAt = new Map<number, number>();
    let fleetStats: Extract<SeedFleetMessage, { type: "stats" }>["stats"] | undefined;
    const fleetStarted = new Promise<void>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`fleet exited (${code})`)));
      child.on("message", (m: SeedFleetMessage) => {
        if (m.type === "started") resolve();
        else if (m.type !== "stopped") {
          fleetStats = m.stats;
          for (const [msm, at] of m.assigned) assignedAt.set(msm, at);
        } else fleetStats = m.stats;
      });
    });
    const setupFrom = now();
    await fleetStarted;
    while ((fleetStats?.connected ?? 0) < o.probes * 0.99 && now() - setupFrom < 180_000) await sleep(500);
    print(`seed week: ${o.probes} probes (${o.anchors} anchors) registered, ${fleetStats?.connected ?? 0} sessions open after ${((now() - setupFrom) / 1000).toFixed(0)} s`);

    const createdAt = new Map<number, number>();
    const ownerOf = new Map<number, string>();
    const creation = new Histogram();
    const create = async (key: string, body: Json): Promise<number[]> => {
      const from = now();
      const answer = await restCall(gateway.url, "POST", "/api/v2/measurements/", key, body);
      const at = now();
      creation.add(Math.round((at - from) * 10) / 10);
      if (answer.status !== 201) {
        fail(`create answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`);
        return [];
      }
      const ids = (answer.body as { measurements: number[] }).measurements;
      for (const id of ids) {
        createdAt.set(id, at);
        ownerOf.set(id, key);
      }
      return ids;
    };

    // Anchoring measurements: every anchor pinged by a set of probes from everywhere.
    const { rows: anchors } = await pool.query<{ id: number; address_v4: string }>("SELECT id, address_v4 FROM probes WHERE is_anchor ORDER BY id");
    const anchorAddresses = anchors.map((a) => a.address_v4);
    const anchoringIds: number[] = [];
    for (const anchor of anchors) {
      anchoringIds.push(...(await create(keys[0]!.key, {
        definitions: [{ type: "ping", af: 4, target: anchor.address_v4, interval: ANCHORING_INTERVAL, description: `anchoring ${anchor.id}` }],
        probes: [{ type: "area", value: "WW", requested: Math.min(o.anchoringProbes, o.probes) }],
        is_public: true,
      })));
    }

    // Subscribers, each from the start of the log: what it receives is exactly what storage holds for it.
    const subscriptions = subscriptionsOf(random, o, anchoringIds);
    clients = new ClientFleets(2);
    await clients.connect(gateway.url, subscriptions);
    clients.resetLatency();
    print(`${anchoringIds.length} anchoring measurements, ${subscriptions.length} subscribers connected`);

    // The rates: one-offs come as created; periodic ones live long enough that the schedules reach the target.
    const perSecond = o.measurements / o.seconds;
    const meanRequested = REQUESTED.reduce((s, r) => s + r.n * r.w, 0) / REQUESTED.reduce((s, r) => s + r.w, 0);
    const meanPerInterval = INTERVALS.reduce((s, i) => s + i.w / i.s, 0) / INTERVALS.reduce((s, i) => s + i.w, 0);
    const anchoringRate = (anchors.length * Math.min(o.anchoringProbes, o.probes)) / ANCHORING_INTERVAL;
    const oneoffRate = perSecond * (1 - PERIODIC_SHARE) * meanRequested;
    const lifetime = Math.max(120, Math.round((o.targetRate - oneoffRate - anchoringRate) / (perSecond * PERIODIC_SHARE * meanRequested * meanPerInterval)));
    print(`creating ${o.measurements} measurements over ${o.seconds} s (${perSecond.toFixed(1)}/s); periodic ones run ${lifetime} s, aiming at ${o.targetRate} results/s`);

    let running = true;
    const userIds: number[] = [];
    const periodicIds: number[] = [];
    let stops = 0;
    const creating = (async () => {
      const from = now();
      const inFlight = new Set<Promise<void>>();
      // What the platform has not taken by the end of the run is not created: the report says how many were.
      for (let i = 0; i < o.measurements && now() < from + o.seconds * 1000; i++) {
        const wait = from + (i * o.seconds * 1000) / o.measurements - now();
        if (wait > 0) await sleep(wait);
        while (inFlight.size >= 8) await Promise.race(inFlight);
        const key = random.pick(keys).key;
        const type = random.pickWeighted(TYPES, (t) => t.weight).type;
        const periodic = random.chance(PERIODIC_SHARE);
        const interval = random.pickWeighted(INTERVALS, (x) => x.w).s;
        const requested = random.pickWeighted(REQUESTED, (x) => x.w).n;
        const body: Json = {
          definitions: [definitionOf(random, type, anchorAddresses, periodic, interval)],
          probes: [selectionOf(random, o, requested, userIds)],
          is_oneoff: !periodic,
          is_public: !random.chance(PRIVATE_SHARE),
          ...(periodic ? { stop_time: Math.floor(Date.now() / 1000) + lifetime } : {}),
        };
        const request = create(key, body).then(async (ids) => {
          userIds.push(...ids);
          if (periodic) periodicIds.push(...ids);
          // Status changes: a user stops one of their periodic measurements.
          if (periodicIds.length > 10 && random.chance(STOPPED_SHARE)) {
            const victim = periodicIds.splice(random.int(0, periodicIds.length - 1), 1)[0]!;
            const answer = await restCall(gateway.url, "DELETE", `/api/v2/measurements/${victim}/`, ownerOf.get(victim));
            if (answer.status === 204) stops++;
            else fail(`stop answered ${answer.status}`);
          }
        });
        const tracked = request.finally(() => inFlight.delete(tracked));
        inFlight.add(tracked);
      }
      await Promise.all(inFlight);
    })();

    // The marker probe: a few results a second, stamped with their post time (post → subscriber latency).
    const marker: TestProbe = await registerProbe(ingest.url, ADMIN, MARKER_PRB);
    let markerStored = 0;
    let markerOverloaded = 0;
    const marking = (async () => {
      for (let n = 0; running; n++) {
        const result = pingResult(MARKER_PRB, MARKER_MSM, Math.floor(Date.now() / 1000), { bench_sent_ms: now(), seq: n });
        const answer = await postResults(ingest.url, marker, [result]);
        // 503: ingest is overloaded and stored nothing of it (a probe sends it again; the marker's next one will do).
        if (answer.status === 200) markerStored += answer.body.stored ?? 0;
        else if (answer.status === 503) markerOverloaded++;
        else fail(`marker post answered ${answer.status}`);
        await sleep(MARKER_EVERY_MS);
      }
    })();

    // A portal visitor paging the measurement list, and looking at one now and then.
    const listPage = new Histogram();
    const paging = (async () => {
      for (let page = 1; running; page++) {
        const from = now();
        const answer = await restCall(gateway.url, "GET", `/api/v2/measurements/?page_size=100&page=${page}`, reader.key);
        listPage.add(Math.round(now() - from));
        if (answer.status !== 200) fail(`list answered ${answer.status}`);
        if (answer.body.next === null || answer.status !== 200) page = 0;
        await sleep(250);
      }
    })();

    // Downloads of the busiest measurements.
    const download = new Histogram();
    let downloadedBytes = 0;
    const downloading = Promise.all(downloaders.map(async ({ key }, worker) => {
      while (running) {
        const busiest = await restCall(gateway.url, "GET", "/api/v2/measurements/?sort=-result_count&page_size=10&fields=result_count", key);
        const ids = busiest.status === 200 ? (busiest.body.results as { id: number }[]).map((m) => m.id) : [];
        if (busiest.status !== 200) fail(`busiest list answered ${busiest.status}`);
        const id = ids[worker % Math.max(1, ids.length)];
        if (id !== undefined) {
          const from = now();
          const res = await fetch(`${gateway.url}/api/v2/measurements/${id}/results/`, { headers: { authorization: `Key ${key}` } });
          downloadedBytes += (await res.arrayBuffer()).byteLength;
          download.add(Math.round(now() - from));
          if (res.status !== 200) fail(`download answered ${res.status}`);
        }
        await sleep(1000);
      }
    }));

    // Sampling: rates, scheduling backlog, memory and CPU of every process.
    const pids: [string, number | undefined][] = [
      ["ingest", ingest.proc.pid], ["gateway", gateway.proc.pid], ["fleet", child.pid], ["redis", redis.pid],
      ...clients.pids.map((pid, i): [string, number] => [`subscribers ${i + 1}`, pid]), ["bench", process.pid],
    ];
    print(`  time   stored/s  relayed/s  delivered/s  probes  created  unscheduled  ${pids.map(([n]) => n).join(" / ")} RSS MB;  ingest, gateway CPU %`);
    const rss: Record<string, number[]> = Object.fromEntries(pids.map(([n]) => [n, []]));
    const storedRates: number[] = [];
    const runFrom = now();
    let last = { at: runFrom, stored: 0, relayed: 0, delivered: 0, ingestCpu: cpuSeconds(ingest.proc.pid), gatewayCpu: cpuSeconds(gateway.proc.pid) };
    const sampleOnce = async () => {
      const res = await fetch(`${ingest.url}/metrics`);
      // An overloaded ingest answers 503 here too: no sample then, rather than a counter read as 0.
      if (res.status !== 200) return void (await res.arrayBuffer());
      const text = await res.text();
      const at = now();
      const s = {
        at, stored: metric(text, "ingest_results_stored_total"), relayed: metric(text, "ingest_relay_results_published_total"),
        delivered: clients!.received, ingestCpu: cpuSeconds(ingest.proc.pid), gatewayCpu: cpuSeconds(gateway.proc.pid),
      };
      const dt = (at - last.at) / 1000;
      const { rows } = await pool.query<{ n: string }>("SELECT count(*) AS n FROM measurements WHERE status = 0");
      for (const [name, pid] of pids) rss[name]!.push(pid === undefined ? 0 : rssMb(pid));
      storedRates.push((s.stored - last.stored) / dt);
      print(
        `${((at - runFrom) / 1000).toFixed(0).padStart(6)} s ${((s.stored - last.stored) / dt).toFixed(0).padStart(9)} ${((s.relayed - last.relayed) / dt).toFixed(0).padStart(10)} ` +
          `${((s.delivered - last.delivered) / dt).toFixed(0).padStart(12)} ${String(fleetStats?.connected ?? 0).padStart(7)} ${String(createdAt.size).padStart(8)} ${rows[0]!.n.padStart(12)}  ` +
          `${pids.map(([n]) => rss[n]!.at(-1)).join(" / ")};  ${(((s.ingestCpu - last.ingestCpu) / dt) * 100).toFixed(0)}, ${(((s.gatewayCpu - last.gatewayCpu) / dt) * 100).toFixed(0)}`,
      );
      last = s;
    };
    const sampling = (async () => {
      while (running) {
        await sleep(Math.min(SAMPLE_EVERY_MS, (o.seconds * 1000) / 8));
        await sampleOnce().catch(() => fail("sampling failed"));
      }
    })();

    await creating;
    await sleep(Math.max(0, runFrom + o.seconds * 1000 - now()));
    running = false;
    await Promise.all([marking, paging, downloading, sampling]);

    // The fleet stops (sending what it holds); then every subscriber must catch up with storage.
    await new Promise<void>((resolve) => {
      child.once("disconnect", resolve);
      child.send("stop");
    });
    const acknowledged = (fleetStats?.stored ?? 0) + markerStored;
    const stored = Number((await pool.query<{ n: string }>("SELECT count(*) AS n FROM results")).rows[0]!.n);
    const groups = await pool.query<{ msm_id: number | null; prb_id: number | null; type: string | null; n: string }>(
      `SELECT r.msm_id, r.prb_id, r.type, count(*) AS n FROM results r LEFT JOIN measurements m ON m.id = r.msm_id
       WHERE COALESCE(m.is_public, true)
       GROUP BY GROUPING SETS ((), (r.msm_id), (r.prb_id), (r.type), (r.prb_id, r.type))`,
    );
    const countOf = new Map(groups.rows.map((g) => [`${g.msm_id}|${g.prb_id}|${g.type}`, Number(g.n)]));
    const expectedOf = (f: Json) => countOf.get(`${(f.msm as number | undefined) ?? null}|${(f.prb as number | undefined) ?? null}|${(f.type as string | undefined) ?? null}`) ?? 0;
    const expectedTotal = subscriptions.reduce((s, f) => s + expectedOf(f), 0);
    await clients.waitFor(expectedTotal, 60_000);
    const report = await clients.report();
    const subscriberCounts = subscriptions.map((filter, i) => ({ filter, received: report.perSubscription[i]!, expected: expectedOf(filter) }));
    const wrong = subscriberCounts.filter((s) => s.received !== s.expected);
    if (wrong.length > 0) fail(`subscribers whose count is not storage's: ${wrong.length}`);
    if (report.disconnected > 0) fail(`subscribers disconnected: ${report.disconnected}`);
    if (acknowledged !== stored) fail(`acknowledged ${acknowledged} but stored ${stored}`);
    const f = fleetStats!;
    if (f.errors > 0) fail(`fleet upload failures (retried): ${f.errors}`);
    if (f.dropped > 0) fail(`fleet results dropped: ${f.dropped}`);
    if (f.rejected > 0) fail(`fleet results rejected: ${f.rejected}`);

    // At the end: every measurement listed, and list/detail latency at this many measurements.
    const listedIds = new Set<number>();
    const listAll = async (query: string, key: string) => {
      for (let page = 1; ; page++) {
        const answer = await restCall(gateway.url, "GET", `/api/v2/measurements/?${query}&page_size=500&page=${page}&fields=`, key);
        if (answer.status !== 200) return fail(`final list answered ${answer.status}`);
        for (const m of answer.body.results as { id: number }[]) listedIds.add(m.id);
        if (answer.body.next === null) return;
      }
    };
    await listAll("sort=id", keys[0]!.key);
    // Each user sees their private measurements; the others' private ones are checked through their owners.
    for (const { key } of keys.slice(1)) await listAll("mine=true&is_public=false", key);
    const createdIds = [...createdAt.keys()];
    const listedMatchesCreated = createdIds.length === listedIds.size - (listedIds.has(MARKER_MSM) ? 1 : 0) && createdIds.every((id) => listedIds.has(id));
    if (!listedMatchesCreated) fail(`created ${createdIds.length} but listed ${listedIds.size}`);

    const endList = new Histogram();
    const endDeep = new Histogram();
    const endDetail = new Histogram();
    const lastPage = Math.max(1, Math.ceil(listedIds.size / 100));
    for (let i = 0; i < Math.min(30, o.subscribers); i++) {
      for (const [h, path] of [
        [endList, "/api/v2/measurements/?page_size=100"],
        [endDeep, `/api/v2/measurements/?page_size=100&page=${lastPage}`],
        [endDetail, `/api/v2/measurements/${random.pick(createdIds)}/`],
      ] as const) {
        const from = now();
        // A private measurement's page is its owner's.
        const id = /measurements\/(\d+)\/$/.exec(path)?.[1];
        const answer = await restCall(gateway.url, "GET", path, id ? ownerOf.get(Number(id)) : reader.key);
        h.add(Math.round((now() - from) * 10) / 10);
        if (answer.status !== 200) fail(`${path} answered ${answer.status}`);
      }
    }

    // Creation → first result, and → first assignment at a probe, from storage and the fleet's reports.
    const { rows: firsts } = await pool.query<{ msm_id: number; first_ms: string }>(
      "SELECT msm_id, extract(epoch FROM min(stored_at)) * 1000 AS first_ms FROM results WHERE msm_id >= $1 GROUP BY msm_id",
      [FIRST_USER_MSM],
    );
    const firstResult = new Histogram();
    for (const r of firsts) {
      const at = createdAt.get(r.msm_id);
      if (at !== undefined) firstResult.add(Math.max(0, Math.round(Number(r.first_ms) - at)));
    }
    const assignment = new Histogram();
    for (const [msm, at] of assignedAt) {
      const created = createdAt.get(msm);
      if (created !== undefined) assignment.add(Math.max(0, Math.round(at - created)));
    }
    const { rows: statuses } = await pool.query<{ status: number; n: string }>("SELECT status, count(*) AS n FROM measurements WHERE id >= $1 GROUP BY status ORDER BY status", [FIRST_USER_MSM]);
    const elapsed = (now() - runFrom) / 1000;
    const ramp = Math.min(lifetime, o.seconds / 2);
    const sustained = storedRates.slice(Math.floor((ramp * 1000) / Math.min(SAMPLE_EVERY_MS, (o.seconds * 1000) / 8)));
    const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

    print(`— seed week, ${new Date().toISOString().slice(0, 10)}: ${o.probes} probes (${anchors.length} anchors), ${elapsed.toFixed(0)} s —`);
    print(`measurements created ${createdIds.length} (${anchoringIds.length} anchoring; ${createdIds.length - anchoringIds.length} of the ${o.measurements} asked within the run), listed ${listedIds.size - (listedIds.has(MARKER_MSM) ? 1 : 0)}; stopped by users ${stops}; by status ${statuses.map((s) => `${s.status}:${s.n}`).join(" ")}`);
    print(`creation latency            ${p5099(creation)}`);
    print(`creation → first assignment ${p5099(assignment)}   (push to a probe's session)`);
    print(`creation → first result     ${p5099(firstResult)}`);
    print(`results acknowledged ${acknowledged}, stored ${stored}; stored/s mean ${mean(storedRates).toFixed(0)}, after the ${ramp.toFixed(0)} s ramp ${mean(sustained).toFixed(0)} (min ${sustained.length ? Math.min(...sustained).toFixed(0) : "none"})`);
    print(`subscribers ${subscriberCounts.length}: ${subscriberCounts.length - wrong.length} received exactly storage's count for their filter; ${report.received} deliveries`);
    print(`post → subscriber (marker results, includes the commit) ${p5099(report.latency)}`);
    print(`downloads ${p5099(download)}, ${(downloadedBytes / 1e6).toFixed(1)} MB`);
    print(`list page during the run ${p5099(listPage)}`);
    print(`at ${listedIds.size} measurements: list page 1 ${p5099(endList)}; last page ${p5099(endDeep)}; detail ${p5099(endDetail)}`);
    print(`RSS MB (first → max → last): ${pids.map(([n]) => `${n} ${rss[n]![0] ?? 0} → ${Math.max(0, ...rss[n]!)} → ${rss[n]!.at(-1) ?? 0}`).join("; ")}`);
    print(`uploads refused as overloaded (503, nothing stored, sent again): fleet ${f.overloaded}, marker ${markerOverloaded}`);
    print(`scheduling: ingest CPU ${cpuSeconds(ingest.proc.pid).toFixed(0)} s in all (writes, relay and scheduler together); probe sessions churned ${f.churned}`);
    // What the apps logged as errors explains the failures above.
    for (const app of [ingest, gateway]) {
      for (const line of app.logs.filter((l) => (l.json?.level ?? 0) >= 50).slice(0, 5)) {
        fail(`${app.name} logged an error`);
        print(`  ${app.name}: ${line.text.slice(0, 400)}`);
      }
    }
    print(`errors ${[...errors.values()].reduce((a, b) => a + b, 0)}${errors.size ? `: ${[...errors].map(([k, n]) => `${k} ×${n}`).join("; ")}` : ""}`);

    return { created: createdIds.length, listed: listedIds.size - (listedIds.has(MARKER_MSM) ? 1 : 0), listedMatchesCreated, acknowledged, stored, subscribers: subscriberCounts, errors, lines };
  } finally {
    await clients?.close();
    if (fleetChild && fleetChild.exitCode === null) {
      const exited = new Promise((resolve) => fleetChild!.once("exit", resolve));
      fleetChild.kill("SIGTERM");
      await exited;
    }
    for (const s of started.reverse()) await s.stop();
    await redis.stop();
    await pool.end();
    await db.drop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const smoke = process.argv.includes("--smoke");
  const [seconds = 1800, measurements = FULL_SCALE.measurements] = process.argv.slice(2).filter((a) => !a.startsWith("--")).map(Number);
  const options = smoke ? SMOKE : { ...FULL_SCALE, seconds, measurements };
  if (!(options.seconds > 0 && options.measurements > 0)) throw new Error("seconds and measurements must be positive numbers");
  const report = await runSeedWeek(options);
  process.exitCode = report.errors.size === 0 ? 0 : 1;
}
