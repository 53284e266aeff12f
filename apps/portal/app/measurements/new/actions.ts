"use server";

import { redirect } from "next/navigation";
import type { MeasurementCreateResponse } from "@probestream/types";
import { api } from "../../../lib/api";
import { fieldNamesOf, measurementFormSpec, problemsOf, requestFromForm, type FormState } from "../../../lib/measurement-form";
import { sessionKey } from "../../../lib/session";

/**
 * Creates the measurement the form describes through the REST API, as the signed-in visitor: on
 * success the visitor goes to its live page, otherwise the API's problems go back to their fields.
 */
export async function createMeasurement(previous: FormState, form: FormData): Promise<FormState> {
  const values: Record<string, string> = {};
  for (const [name, value] of form.entries()) if (typeof value === "string" && !name.startsWith("$")) values[name] = value;
  const refused = { values, submission: previous.submission + 1 };
  if (!(await sessionKey())) return { message: "Your session has ended: sign in again to create measurements.", errors: {}, ...refused };

  const spec = measurementFormSpec();
  let created: number | undefined;
  try {
    const answer = await api<MeasurementCreateResponse>("/api/v2/measurements/", { method: "POST", body: requestFromForm(form, spec) });
    if (answer.status !== 201) return { ...problemsOf(answer, fieldNamesOf(spec)), ...refused };
    created = answer.body.measurements[0];
  } catch {
    return { message: "The API did not answer: try again in a moment.", errors: {}, ...refused };
  }
  redirect(`/measurements/${created}`);
}
