import { isIP } from "node:net";
import { HttpError, type ErrorSource } from "@probestream/service-kit";
import { listedProbeIds, type MeasurementStore, type NewMeasurement, type StoredProbeSource } from "@probestream/db";
import type { ApiTime, MeasurementCreateRequest, ProbeSource, ResultType } from "@probestream/types";

/** RIPE Atlas default intervals (seconds) of periodic measurements. */
const DEFAULT_INTERVAL: Record<ResultType, number> = {
  ping: 240, traceroute: 900, dns: 240, sslcert: 900, ntp: 1800, http: 1800,
};

/** A one-off with no stop time is stopped this long after its start if some probe never reports. */
const ONE_OFF_WINDOW_S = 3600;

/** How far in the past a start time may be (clocks differ): earlier ones are refused. */
const START_SLACK_S = 300;

/** Collects the problems of a request, each at its field, and refuses it with all of them. */
class Problems {
  readonly list: ErrorSource[] = [];
  add(pointer: string, detail: string): void {
    this.list.push({ source: { pointer }, detail });
  }
  throwIfAny(): void {
    const first = this.list[0];
    if (first) throw new HttpError(400, `${first.source.pointer.slice(1)}: ${first.detail}`, this.list);
  }
}

function toDate(time: ApiTime): Date {
  return typeof time === "number" ? new Date(time * 1000) : new Date(time);
}

function validPrefix(value: string): boolean {
  const [address, bits] = value.split("/");
  const family = isIP(address ?? "");
  const length = Number(bits);
  return family !== 0 && Number.isInteger(length) && length >= 0 && length <= (family === 4 ? 32 : 128);
}

/** The source as stored: the value normalised, tags kept. */
export function storedSource(s: ProbeSource): StoredProbeSource {
  const value = typeof s.value === "string" ? s.value.trim() : s.value;
  return { requested: s.requested, type: s.type, value, ...(s.tags ? { tags: s.tags } : {}) };
}

/**
 * Refuses selections that cannot be met whatever the fleet does: a malformed prefix, probes or a
 * measurement that do not exist, more probes requested than listed. Null entries are skipped.
 */
export async function checkSources(store: MeasurementStore, sources: (ProbeSource | null)[], at: string): Promise<void> {
  const problems = new Problems();
  for (const [i, s] of sources.entries()) {
    if (s === null) continue;
    const where = `${at}/${i}`;
    if (s.type === "prefix" && !validPrefix(String(s.value))) {
      problems.add(`${where}/value`, "is not an IPv4 or IPv6 prefix");
    } else if (s.type === "probes") {
      const ids = listedProbeIds(s.value);
      const known = await store.existingProbes(ids);
      const missing = ids.filter((id) => !known.has(id));
      if (missing.length > 0) problems.add(`${where}/value`, `no such probes: ${missing.join(", ")}`);
      if (s.requested > new Set(ids).size) problems.add(`${where}/requested`, `is more than the ${new Set(ids).size} probes listed`);
    } else if (s.type === "msm" && !(await store.exists(Number(s.value)))) {
      problems.add(`${where}/value`, `measurement ${String(s.value)} does not exist`);
    }
  }
  problems.throwIfAny();
}

/**
 * Turns a validated request into the measurements to create, one per definition, with the
 * request's common settings applied; refuses what the schema cannot tell is wrong.
 */
export function measurementsOf(body: MeasurementCreateRequest, ownerId: number, now = Date.now()): NewMeasurement[] {
  const problems = new Problems();
  const start = body.start_time === undefined ? null : toDate(body.start_time);
  const stop = body.stop_time === undefined ? null : toDate(body.stop_time);
  if (start && start.getTime() < now - START_SLACK_S * 1000) problems.add("/start_time", "must not be in the past");
  if (stop && stop.getTime() <= Math.max(start?.getTime() ?? now, now)) {
    problems.add("/stop_time", "must be after the start time and in the future");
  }
  const sources = body.probes.map(storedSource);

  const created = body.definitions.map((def, i): NewMeasurement => {
    const at = `/definitions/${i}`;
    const isOneoff = def.is_oneoff ?? body.is_oneoff ?? false;
    if (isOneoff && def.interval !== undefined) problems.add(`${at}/interval`, "is not allowed for a one-off measurement");
    const description = def.description ?? body.description;
    if (description === undefined) problems.add(`${at}/description`, "This field is required.");
    const target = def.target ?? null;
    const family = target === null ? 0 : isIP(target);
    if (family !== 0 && family !== def.af) problems.add(`${at}/target`, `is an IPv${family} address but af is ${def.af}`);
    const begins = start ?? new Date(now);
    return {
      type: def.type,
      description: description ?? "",
      target,
      targetIp: family !== 0 ? target : null,
      af: def.af,
      interval: isOneoff ? null : (def.interval ?? DEFAULT_INTERVAL[def.type]),
      spread: def.spread ?? null,
      isPublic: def.is_public ?? body.is_public ?? true,
      isOneoff,
      startTime: start,
      stopTime: stop ?? (isOneoff ? new Date(begins.getTime() + ONE_OFF_WINDOW_S * 1000) : null),
      definition: def,
      probeSources: sources,
      tags: [...new Set([...(body.tags ?? []), ...(def.tags ?? [])])],
      ownerId,
    };
  });
  problems.throwIfAny();
  return created;
}
