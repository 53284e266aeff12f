import type { FastifyInstance } from "fastify";
import type { MessageBus } from "@probestream/bus";
import { measurementEventOf, publishMeasurementEvents } from "@probestream/bus";
import { HttpError } from "@probestream/service-kit";
import {
  getParticipationRequest, listMeasurements, listParticipationRequests, measurementParticipants,
  MEASUREMENT_SORT_COLUMNS, PARTICIPATION_SORT_COLUMNS, participationRequestsOf, UNFINISHED,
  type MeasurementListFilter, type MeasurementRow, type MeasurementStore, type Pool,
} from "@probestream/db";
import {
  Rights,
  ApiError, DnsDefinition, HttpDefinition, IdParams, KeyQuery, Measurement, MeasurementCreateRequest, MeasurementCreateResponse,
  MeasurementListQuery, MeasurementPage, NtpDefinition, ObjectQuery, Page, PagedQuery, ParticipationRequestResource,
  ParticipationRequests, ParticipationResponse, PingDefinition, SslcertDefinition, TracerouteDefinition, privateToOf,
  type MeasurementCreateRequest as CreateBody, type MeasurementListQuery as ListQuery, type ObjectQuery as ObjectQueryT,
  type PagedQuery as PagedQueryT, type ParticipationRequest, type ProbeSource,
} from "@probestream/types";
import type { Caller } from "../access/api-keys.js";
import { requireRight } from "./caller.js";
import { shaped, shapingOf, sortOf, type ResourceShape, type Shaping } from "./lists.js";
import { checkSources, measurementsOf, storedSource } from "./measurement-rules.js";
import { integerList, pageOf, SMALLINT_MAX, pageWindow, wordList } from "./pagination.js";
import { presentMeasurement, presentParticipation } from "./presenters.js";
import { measurementExample, pageOf as examplePage, participationExample } from "./examples.js";

export interface MeasurementRoutesOptions {
  pool: Pool;
  store: MeasurementStore;
  bus: MessageBus;
}


const errors = {
  400: { description: "Invalid request: `errors` names each field", schema: ApiError },
  403: { description: "Unknown key or not allowed", schema: ApiError },
  404: { description: "No such measurement", schema: ApiError },
};

/** Measurement fields: the common ones, every type's options, and `probes` and `participation_requests` when asked for. */
const SHAPE: ResourceShape = {
  always: ["id", "type"],
  optional: ["probes", "participation_requests"],
  known: new Set([
    ...Object.keys(Measurement.properties),
    ...[PingDefinition, TracerouteDefinition, DnsDefinition, SslcertDefinition, NtpDefinition, HttpDefinition].flatMap((d) => Object.keys(d.properties)),
    "probes",
    "participation_requests",
  ]),
  sortable: Object.keys(MEASUREMENT_SORT_COLUMNS),
};

const PARTICIPATION_SHAPE: ResourceShape = {
  always: ["id"],
  optional: [],
  known: new Set(Object.keys(ParticipationRequestResource.properties)),
  sortable: Object.keys(PARTICIPATION_SORT_COLUMNS),
};

/** The comparison filters: `id__gt`, `start_time__lte`, `stop_time__lt`, ... */
const RANGES = (["id", "start_time", "stop_time"] as const).flatMap((field) =>
  (["gt", "gte", "lt", "lte"] as const).map((op) => ({ field, op, name: `${field}__${op}` as const })),
);

function visibleTo(m: MeasurementRow, caller: Caller): boolean {
  const privateTo = privateToOf(m);
  return privateTo === null || privateTo === caller.userId;
}

/** The caller's own measurement, for changes: 404 when not visible, 403 when someone else's. */
function ownedBy(m: MeasurementRow | null, caller: Caller & { userId: number }, id: number): MeasurementRow {
  if (!m || !visibleTo(m, caller)) throw new HttpError(404, `Measurement ${id} does not exist`);
  if (m.owner_id !== caller.userId) throw new HttpError(403, "Only the owner of a measurement may change it");
  return m;
}

/** `/api/v2/measurements/`: define, list, read, stop measurements and change their probes. */
export async function measurementRoutes(fastify: FastifyInstance, opts: MeasurementRoutesOptions): Promise<void> {
  const { pool, store, bus } = opts;
  /** The measurements as shown: shaped as asked, with the optional fields asked for. */
  const present = async (rows: MeasurementRow[], baseUrl: string, s: Shaping) => {
    const ids = rows.map((m) => m.id);
    const participants = s.optional.has("probes") ? await measurementParticipants(pool, ids) : undefined;
    const requests = s.optional.has("participation_requests") ? await participationRequestsOf(pool, ids) : undefined;
    return rows.map((m) => {
      const shown: Record<string, unknown> = presentMeasurement(m, baseUrl);
      if (participants) shown.probes = (participants.get(m.id) ?? []).map((id) => ({ id }));
      if (requests) shown.participation_requests = (requests.get(m.id) ?? []).map((r) => presentParticipation(r, baseUrl));
      return shaped(shown, s);
    });
  };
  /** The events of a change, stored with it by the store: each changed measurement tells `event`. */
  const telling = (event: "created" | "changed" | "stopped") => (rows: MeasurementRow[]) => rows.map((m) => measurementEventOf(m, event));
  /** The measurement, if the caller may see it: 404 when it does not exist, 403 when private to another. */
  const readable = async (id: number, caller: Caller): Promise<MeasurementRow> => {
    const m = await store.get(id);
    if (!m) throw new HttpError(404, `Measurement ${id} does not exist`);
    if (!visibleTo(m, caller)) throw new HttpError(403, "This measurement is private to its owner");
    return m;
  };

  fastify.post<{ Body: CreateBody }>(
    "/api/v2/measurements/",
    {
      schema: { body: MeasurementCreateRequest, querystring: KeyQuery },
      config: {
        openapi: {
          summary: "Create measurements: one per definition, on the selected probes",
          tag: "measurements",
          responses: { 201: { description: "Created", schema: MeasurementCreateResponse, example: { measurements: [1001] } }, ...errors },
        },
      },
    },
    async (request, reply) => {
      const { caller } = request;
      requireRight(caller, Rights.createMeasurements);
      const specs = measurementsOf(request.body, caller.userId);
      await checkSources(store, request.body.probes, "/probes");
      const created = await store.create(specs, telling("created"));
      await publishMeasurementEvents(bus, created.events);
      return reply.status(201).send({ measurements: created.rows.map((m) => m.id) });
    },
  );

  fastify.get<{ Querystring: ListQuery }>(
    "/api/v2/measurements/",
    {
      schema: { querystring: MeasurementListQuery },
      config: {
        openapi: {
          summary: "List measurements (public ones and the key owner's), filtered and paginated",
          tag: "measurements",
          responses: { 200: { description: "A page", schema: MeasurementPage, example: examplePage(measurementExample) }, ...errors },
        },
      },
    },
    async (request) => {
      const { caller } = request;
      const q = request.query;
      if (q.mine && caller.userId === null) throw new HttpError(401, "mine: needs an API key");
      const shaping = shapingOf(q, SHAPE);
      const w = pageWindow(q);
      const filter: MeasurementListFilter = {
        viewerId: caller.userId,
        mine: q.mine,
        search: q.search,
        types: wordList(q.type),
        statuses: [integerList("status", q.status, SMALLINT_MAX), integerList("status__in", q.status__in, SMALLINT_MAX)].filter((l) => l !== undefined),
        af: q.af,
        target: q.target,
        targetContains: q.target__contains,
        descriptionContains: q.description__contains,
        tags: wordList(q.tags),
        isPublic: q.is_public,
        isOneoff: q.is_oneoff,
        idIn: integerList("id__in", q.id__in),
        ranges: RANGES.flatMap((r) => (q[r.name] === undefined ? [] : [{ field: r.field, op: r.op, value: q[r.name]! }])),
        order: sortOf(q.sort, SHAPE, "-id"),
        limit: w.limit,
        offset: w.offset,
      };
      const { count, rows } = await listMeasurements(pool, filter);
      return pageOf(request, w, count, await present(rows, request.baseUrl, shaping));
    },
  );

  fastify.get<{ Params: IdParams; Querystring: ObjectQueryT }>(
    "/api/v2/measurements/:id/",
    {
      schema: { params: IdParams, querystring: ObjectQuery },
      config: {
        openapi: {
          summary: "A measurement",
          tag: "measurements",
          responses: { 200: { description: "The measurement", schema: Measurement, example: measurementExample }, ...errors },
        },
      },
    },
    async (request) => {
      const { caller } = request;
      const shaping = shapingOf(request.query, SHAPE);
      return (await present([await readable(request.params.id, caller)], request.baseUrl, shaping))[0];
    },
  );

  fastify.delete<{ Params: IdParams }>(
    "/api/v2/measurements/:id/",
    {
      schema: { params: IdParams, querystring: KeyQuery },
      config: {
        openapi: {
          summary: "Stop a measurement",
          tag: "measurements",
          responses: { 204: { description: "Stopped (or already finished)" }, ...errors },
        },
      },
    },
    async (request, reply) => {
      const { caller } = request;
      requireRight(caller, Rights.createMeasurements);
      const { id } = request.params;
      ownedBy(await store.get(id), caller, id);
      await publishMeasurementEvents(bus, (await store.stop(id, telling("stopped"))).events);
      return reply.status(204).send();
    },
  );

  fastify.get<{ Params: IdParams; Querystring: PagedQueryT }>(
    "/api/v2/measurements/:id/participation-requests/",
    {
      schema: { params: IdParams, querystring: PagedQuery },
      config: {
        openapi: {
          summary: "A measurement's participation requests (probes added or removed after its creation), paginated",
          tag: "measurements",
          responses: { 200: { description: "A page", schema: Page(ParticipationRequestResource), example: examplePage(participationExample) }, ...errors },
        },
      },
    },
    async (request) => {
      const { caller } = request;
      const q = request.query;
      const shaping = shapingOf(q, PARTICIPATION_SHAPE);
      const order = sortOf(q.sort, PARTICIPATION_SHAPE, "id");
      const { id } = await readable(request.params.id, caller);
      const w = pageWindow(q);
      const { count, rows } = await listParticipationRequests(pool, { msmId: id, order, limit: w.limit, offset: w.offset });
      return pageOf(request, w, count, rows.map((r) => shaped(presentParticipation(r, request.baseUrl), shaping)));
    },
  );

  fastify.get<{ Params: IdParams; Querystring: ObjectQueryT }>(
    "/api/v2/participation-requests/:id/",
    {
      schema: { params: IdParams, querystring: ObjectQuery },
      config: {
        openapi: {
          summary: "A participation request",
          tag: "measurements",
          responses: { 200: { description: "The request", schema: ParticipationRequestResource, example: participationExample }, ...errors },
        },
      },
    },
    async (request) => {
      const { caller } = request;
      const shaping = shapingOf(request.query, PARTICIPATION_SHAPE);
      const found = await getParticipationRequest(pool, request.params.id);
      if (!found) throw new HttpError(404, `Participation request ${request.params.id} does not exist`);
      await readable(found.msm_id, caller);
      return shaped(presentParticipation(found, request.baseUrl), shaping);
    },
  );

  fastify.post<{ Params: IdParams; Body: ParticipationRequest[] }>(
    "/api/v2/measurements/:id/participation-requests/",
    {
      schema: { params: IdParams, querystring: KeyQuery, body: ParticipationRequests },
      config: {
        openapi: {
          summary: "Add probes to a measurement (any selection) or remove listed probes",
          tag: "measurements",
          responses: { 201: { description: "Applied", schema: ParticipationResponse, example: { request_ids: [12] } }, ...errors },
        },
      },
    },
    async (request, reply) => {
      const { caller } = request;
      requireRight(caller, Rights.createMeasurements);
      const { id } = request.params;
      const m = ownedBy(await store.get(id), caller, id);
      if (!UNFINISHED.includes(m.status as (typeof UNFINISHED)[number])) throw new HttpError(400, `Measurement ${id} is no longer running`);
      const sources = request.body.map(({ action, ...source }) => (action === "add" ? (source as ProbeSource) : null));
      await checkSources(store, sources, "");
      const changed = await store.participate(
        id,
        request.body.map(({ action, ...source }) => ({ action, ...storedSource(source as ProbeSource) })),
        telling("changed"),
      );
      await publishMeasurementEvents(bus, changed.events);
      return reply.status(201).send({ request_ids: changed.requestIds });
    },
  );
}
