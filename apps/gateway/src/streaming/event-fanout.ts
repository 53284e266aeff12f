import type { FastifyBaseLogger } from "fastify";
import { StreamEvents, type ProbeStatusEvent } from "@probestream/types";
import type { ProbeDirectory } from "@probestream/db";
import { decodeMeasurementEvent, decodeProbeStatus, type PublishedMeasurementEvent } from "@probestream/bus";
import { mayRead } from "../access/api-keys.js";
import { presentProbe } from "../api/presenters.js";
import { Frame } from "./frame.js";
import type { StreamSession } from "./session.js";
import type { Subscription } from "./subscription.js";

/**
 * Probe status and measurement events (`probestatus` and `metadata` streams) to their
 * subscribers, once per session. With `enrichProbes`, a status event carries the probe as the REST
 * API presents it, read once per event.
 */
export class EventFanOut {
  private readonly probeStatus = new Set<Subscription>();
  private readonly metadata = new Set<Subscription>();

  constructor(
    private readonly probes: ProbeDirectory,
    private readonly log: FastifyBaseLogger,
  ) {}

  add(sub: Subscription): void {
    if (sub.params.streamType === "probestatus") this.probeStatus.add(sub);
    else if (sub.params.streamType === "metadata") this.metadata.add(sub);
  }

  remove(sub: Subscription): void {
    this.probeStatus.delete(sub);
    this.metadata.delete(sub);
  }

  onProbeStatus(message: string): void {
    let event: ProbeStatusEvent;
    try {
      event = decodeProbeStatus(message);
    } catch (err) {
      this.log.error({ err }, "unreadable probe status on the bus");
      return;
    }
    let plain: Frame | undefined;
    let enriched: Promise<Frame> | undefined;
    const reached = new Set<StreamSession>();
    for (const sub of this.probeStatus) {
      if (sub.params.prb !== undefined && sub.params.prb !== event.prb_id) continue;
      if (reached.has(sub.session)) continue;
      reached.add(sub.session);
      if (sub.params.enrichProbes) {
        enriched ??= this.enrich(event);
        enriched.then(
          (frame) => {
            if (!sub.ended) sub.session.send(frame);
          },
          (err: unknown) => this.log.error({ err, prb: event.prb_id }, "reading the probe of a status event failed"),
        );
      } else sub.session.send((plain ??= Frame.of(StreamEvents.probeStatus, event)));
    }
  }

  private async enrich(event: ProbeStatusEvent): Promise<Frame> {
    const probe = await this.probes.get(event.prb_id);
    return Frame.of(StreamEvents.probeStatus, { ...event, probe: probe && presentProbe(probe) });
  }

  onMetadata(message: string): void {
    let published: PublishedMeasurementEvent;
    try {
      published = decodeMeasurementEvent(message);
    } catch (err) {
      this.log.error({ err }, "unreadable measurement event on the bus");
      return;
    }
    const { event, privateTo } = published;
    const frame = Frame.of(StreamEvents.metadata, event);
    const reached = new Set<StreamSession>();
    for (const sub of this.metadata) {
      if (sub.params.msm !== undefined && sub.params.msm !== event.msm_id) continue;
      if (sub.params.type !== undefined && sub.params.type !== event.type) continue;
      if (reached.has(sub.session) || !mayRead(sub.session.caller, privateTo)) continue;
      reached.add(sub.session);
      sub.session.send(frame);
    }
  }
}
