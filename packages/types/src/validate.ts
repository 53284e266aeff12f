import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { RESULT_TYPES, ResultSchemas, isResultType, type AtlasResult, type ResultType } from "./results/index.js";

/**
 * The one ajv instance of the platform: other packages compile their schemas here so
 * that every schema sees the same formats and options. Results are never coerced or
 * stripped: what a probe sent is what gets stored.
 */
export const ajv = new Ajv({ allErrors: false, strict: true, coerceTypes: false, useDefaults: false });
addFormats.default(ajv);

/**
 * Each result type's validator, compiled on first use: a process that never validates results (a
 * gateway) does not hold them (measured here: compiling all six took 39 MB of RSS at import).
 */
const resultValidators: Partial<Record<ResultType, ValidateFunction<AtlasResult>>> = {};
const resultValidator = (type: ResultType) => (resultValidators[type] ??= ajv.compile<AtlasResult>(ResultSchemas[type]));

export type ResultValidation =
  | { ok: true; result: AtlasResult }
  | { ok: false; field: string; message: string };

/** Validates one result against the schema of its `type`. */
export function validateResult(value: unknown): ResultValidation {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, field: "", message: "must be an object" };
  }
  const type = (value as { type?: unknown }).type;
  if (type === undefined) return { ok: false, field: "type", message: "is required" };
  if (!isResultType(type)) {
    return { ok: false, field: "type", message: `must be one of ${RESULT_TYPES.join(", ")}` };
  }
  const validator = resultValidator(type);
  if (validator(value)) return { ok: true, result: value };
  return { ok: false, ...describeFirstError(validator.errors ?? []) };
}

/**
 * Turns ajv's errors for one failed keyword into a field path and a readable message.
 * Inside a union ajv reports every branch; the error deepest in the value is the one
 * that tells what is wrong (`result/0/rtt` rather than "`result/0` matches no branch"),
 * and at equal depth a failed constraint says more than a failed type check.
 */
export function describeFirstError(errors: readonly ErrorObject[]): { field: string; message: string } {
  let best: ErrorObject | undefined;
  let bestRank = -1;
  for (const error of errors) {
    const rank = depthOf(error.instancePath) * 4 + keywordRank(error.keyword);
    if (rank > bestRank) {
      best = error;
      bestRank = rank;
    }
  }
  if (best === undefined) return { field: "", message: "is invalid" };

  const field = best.instancePath.slice(1);
  switch (best.keyword) {
    case "required": {
      const missing = (best.params as { missingProperty: string }).missingProperty;
      return { field: field === "" ? missing : `${field}/${missing}`, message: "is required" };
    }
    case "additionalProperties": {
      const extra = (best.params as { additionalProperty: string }).additionalProperty;
      return { field: field === "" ? extra : `${field}/${extra}`, message: "is not allowed" };
    }
    case "type":
    case "const": {
      const expected = errors
        .filter((error) => error.keyword === best.keyword && error.instancePath === best.instancePath)
        .map((error) => describeExpected(error));
      return { field, message: `must be ${[...new Set(expected)].join(" or ")}` };
    }
    case "enum": {
      const allowed = (best.params as { allowedValues: unknown[] }).allowedValues;
      return { field, message: `must be one of ${allowed.map((value) => JSON.stringify(value)).join(", ")}` };
    }
    default:
      return { field, message: best.message ?? "is invalid" };
  }
}

function depthOf(instancePath: string): number {
  let depth = 0;
  for (let i = 0; i < instancePath.length; i++) if (instancePath.charCodeAt(i) === 47) depth++;
  return depth;
}

function keywordRank(keyword: string): number {
  if (keyword === "anyOf" || keyword === "oneOf") return 0;
  if (keyword === "type") return 1;
  if (keyword === "required") return 2;
  return 3;
}

function describeExpected(error: ErrorObject): string {
  if (error.keyword === "const") return JSON.stringify((error.params as { allowedValue: unknown }).allowedValue);
  return String((error.params as { type: string | string[] }).type);
}
