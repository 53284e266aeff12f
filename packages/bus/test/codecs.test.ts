import { describe, expect, it } from "vitest";
import { MeasurementStatusId, type ProbeStatusEvent } from "@probestream/types";
import {
  decodeMeasurementEvent, decodeProbeStatus, decodeWebhookChanged, encodeMeasurementEvent, encodeProbeStatus, encodeWebhookChanged, measurementEventOf,
} from "@probestream/bus";

describe("bus codecs", () => {
  it("carry a probe status event unchanged, and refuse a message that is none", () => {
    const event: ProbeStatusEvent = {
      prb_id: 7, type: "connection", event: "connect", timestamp: 1_700_000_000,
      controller: "ctr-test", asn: 64500, prefix: "192.0.2.0/24", country: "NL",
    };
    expect(decodeProbeStatus(encodeProbeStatus(event))).toEqual(event);
    expect(() => decodeProbeStatus("not json")).toThrow();
    expect(() => decodeProbeStatus("{}")).toThrow(/prb_id/);
  });

  it("tell a measurement's event with its status name; a private one only to its owner", () => {
    const stopped = { id: 1001, type: "ping", status: MeasurementStatusId.Stopped, is_public: false, owner_id: 3 };
    const published = decodeMeasurementEvent(encodeMeasurementEvent(measurementEventOf(stopped, "stopped")));
    expect(published.privateTo).toBe(3);
    expect(published.event).toMatchObject({
      msm_id: 1001, event: "stopped", type: "ping", status: { id: 4, name: "Stopped" }, is_public: false,
    });
    const created = decodeMeasurementEvent(encodeMeasurementEvent(measurementEventOf({ ...stopped, status: MeasurementStatusId.Ongoing, is_public: true }, "created")));
    expect(created.privateTo).toBeNull();
    expect(created.event.status).toEqual({ id: 2, name: "Ongoing" });
    expect(() => decodeMeasurementEvent('{"privateTo":null}')).toThrow(/msm_id/);
  });

  it("name the webhook that changed, and refuse a message that names none", () => {
    expect(decodeWebhookChanged(encodeWebhookChanged(42))).toBe(42);
    for (const bad of ["", "x", "0", "-3", "1.5", "042", "9007199254740993"]) expect(() => decodeWebhookChanged(bad), bad).toThrow(/webhook id/);
  });
});
