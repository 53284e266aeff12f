import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { isIP } from "node:net";
import type { Pool, ProbeDirectory, ProbePrefix } from "@probestream/db";
import { listMeasurements, PROBE_SORT_FIELDS, probeStatusHistory, registerProbe } from "@probestream/db";
import { HttpError } from "@probestream/service-kit";
import {
  Rights,
  ApiError, IdParams, KeyQuery, MeasurementPage, ObjectQuery, Page, PagedQuery, Probe, ProbeListQuery, ProbePage, ProbeRegistration,
  ProbeRegistrationResponse, ProbeStatusEvent, type ObjectQuery as ObjectQueryT, type ProbeListQuery as ListQuery,
} from "@probestream/types";
import { requireRight } from "./caller.js";
import { shaped, shapingOf, sortOf, type ResourceShape } from "./lists.js";
import { integerList, pageOf, SMALLINT_MAX, pageWindow, wordList } from "./pagination.js";
import { presentMeasurement, presentProbe } from "./presenters.js";
import { measurementExample, pageOf as examplePage, probeExample } from "./examples.js";

export interface ProbeRoutesOptions {
  pool: Pool;
  directory: ProbeDirectory;
}

/** What a probe host sends: the probe's details; the id is the platform's to choose. */
const HostedProbeRegistration = Type.Omit(ProbeRegistration, ["prb_id", "is_anchor"], { additionalProperties: false });

const SHAPE: ResourceShape = {
  always: ["id", "type"],
  optional: [],
  known: new Set(Object.keys(Probe.properties)),
  sortable: Object.keys(PROBE_SORT_FIELDS),
};

/** Lists under a probe take a page and its size only: their order is fixed (newest first). */
const ProbePagesQuery = Type.Pick(PagedQuery, ["page", "page_size"], { additionalProperties: false });
type ProbePagesQuery = { page?: number; page_size?: number };

/** A connection or disconnection, as the probestatus stream sends it. */
const ProbeStatusHistoryPage = Page(ProbeStatusEvent);
const statusChangeExample = {
  prb_id: 6001, type: "connection", event: "connect", timestamp: 1700000000, controller: "ctr-local", asn: 3333, prefix: "193.0.0.0/21", country: "NL",
};

/** A prefix filter (of the `family` when given), checked: a 400 names the parameter otherwise. */
function prefixOf(parameter: string, value: string | undefined, family?: 4 | 6): ProbePrefix[] {
  if (value === undefined) return [];
  const [address = "", bits, extra] = value.trim().split("/");
  const found = isIP(address);
  const length = Number(bits);
  const fits = found !== 0 && (family === undefined || found === family) && extra === undefined && bits !== undefined && bits !== "";
  if (!fits || !Number.isInteger(length) || length < 0 || length > (found === 4 ? 32 : 128)) {
    const detail = `is not an ${family === undefined ? "IP" : `IPv${family}`} prefix`;
    throw new HttpError(400, `${parameter}: ${detail}`, [{ source: { pointer: `/querystring/${parameter}` }, detail }]);
  }
  return [{ family: found === 4 ? 4 : 6, prefix: value.trim() }];
}

/** `radius=lat,lon:km`, its form checked by the schema. */
function radiusOf(value: string | undefined): { latitude: number; longitude: number; km: number } | undefined {
  if (value === undefined) return undefined;
  const [point = "", km = ""] = value.split(":");
  const [latitude = "", longitude = ""] = point.split(",");
  return { latitude: Number(latitude), longitude: Number(longitude), km: Number(km) };
}

/** `/api/v2/probes/`: the fleet, filtered and paginated; probe registration for probe hosts. */
export async function probeRoutes(fastify: FastifyInstance, opts: ProbeRoutesOptions): Promise<void> {
  const { directory } = opts;

  fastify.get<{ Querystring: ListQuery }>(
    "/api/v2/probes/",
    {
      schema: { querystring: ProbeListQuery },
      config: {
        openapi: {
          summary: "List probes, filtered and paginated",
          tag: "probes",
          responses: { 200: { description: "A page", schema: ProbePage, example: examplePage(probeExample) }, 400: { description: "Invalid filter", schema: ApiError } },
        },
      },
    },
    async (request) => {
      const q = request.query;
      const shaping = shapingOf(q, SHAPE);
      const w = pageWindow(q);
      const { count, probes } = await directory.list({
        countryCode: q.country_code,
        asn: q.asn,
        asnV4: q.asn_v4,
        asnV6: q.asn_v6,
        prefixes: [...prefixOf("prefix_v4", q.prefix_v4, 4), ...prefixOf("prefix_v6", q.prefix_v6, 6), ...prefixOf("prefix", q.prefix)],
        radius: radiusOf(q.radius),
        statuses: integerList("status", q.status, SMALLINT_MAX),
        tags: wordList(q.tags),
        isAnchor: q.is_anchor,
        isPublic: q.is_public,
        idIn: integerList("id__in", q.id__in),
        idGt: q.id__gt,
        idGte: q.id__gte,
        idLt: q.id__lt,
        idLte: q.id__lte,
        order: sortOf(q.sort, SHAPE, "id"),
        limit: w.limit,
        offset: w.offset,
      });
      return pageOf(request, w, count, probes.map((p) => shaped(presentProbe(p), shaping)));
    },
  );

  fastify.get<{ Params: IdParams; Querystring: ObjectQueryT }>(
    "/api/v2/probes/:id/",
    {
      schema: { params: IdParams, querystring: ObjectQuery },
      config: {
        openapi: {
          summary: "A probe: status (connected, disconnected, never connected) and since when, addresses, ASN, location",
          tag: "probes",
          responses: { 200: { description: "The probe", schema: Probe, example: probeExample }, 404: { description: "No such probe", schema: ApiError } },
        },
      },
    },
    async (request) => {
      const shaping = shapingOf(request.query, SHAPE);
      const probe = await directory.get(request.params.id);
      if (!probe) throw new HttpError(404, `Probe ${request.params.id} does not exist`);
      return shaped(presentProbe(probe), shaping);
    },
  );

  /** The probe, or a 404 naming it. */
  const existing = async (id: number) => {
    if (!(await directory.get(id))) throw new HttpError(404, `Probe ${id} does not exist`);
  };

  fastify.get<{ Params: IdParams; Querystring: ProbePagesQuery }>(
    "/api/v2/probes/:id/status-history/",
    {
      schema: { params: IdParams, querystring: ProbePagesQuery },
      config: {
        openapi: {
          summary: "A probe's connections and disconnections, newest first, as the probestatus stream sent them",
          tag: "probes",
          responses: {
            200: { description: "A page", schema: ProbeStatusHistoryPage, example: examplePage(statusChangeExample) },
            404: { description: "No such probe", schema: ApiError },
          },
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      await existing(id);
      const w = pageWindow(request.query);
      const { count, events } = await probeStatusHistory(opts.pool, id, w);
      return pageOf(request, w, count, events);
    },
  );

  fastify.get<{ Params: IdParams; Querystring: ProbePagesQuery }>(
    "/api/v2/probes/:id/measurements/",
    {
      schema: { params: IdParams, querystring: ProbePagesQuery },
      config: {
        openapi: {
          summary: "The measurements a probe takes part in (public ones and the key owner's), newest first",
          tag: "probes",
          responses: {
            200: { description: "A page", schema: MeasurementPage, example: examplePage(measurementExample) },
            404: { description: "No such probe", schema: ApiError },
          },
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      await existing(id);
      const w = pageWindow(request.query);
      const { count, rows } = await listMeasurements(opts.pool, {
        viewerId: request.caller.userId,
        idIn: await directory.measurementIds(id),
        ranges: [],
        order: [{ field: "id", descending: true }],
        limit: w.limit,
        offset: w.offset,
      });
      return pageOf(request, w, count, rows.map((m) => presentMeasurement(m, request.baseUrl)));
    },
  );

  fastify.post<{ Body: Omit<ProbeRegistration, "prb_id"> }>(
    "/api/v2/probes/",
    {
      schema: { body: HostedProbeRegistration, querystring: KeyQuery },
      config: {
        openapi: {
          summary: "Register a probe (probe hosts): answers its id and its secret, shown only here",
          tag: "probes",
          responses: {
            201: { description: "Registered", schema: ProbeRegistrationResponse, example: { prb_id: 6001, secret: "b7Jc...0aQ" } },
            403: { description: "The key lacks probes:manage", schema: ApiError },
          },
        },
      },
    },
    async (request, reply) => {
      const { caller } = request;
      requireRight(caller, Rights.manageProbes);
      return reply.status(201).send(await registerProbe(opts.pool, { ...request.body, prb_id: undefined }, caller.userId));
    },
  );
}
