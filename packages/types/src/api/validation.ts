import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

function apiAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: false,
    strict: false,
    coerceTypes,
    useDefaults: true,
    discriminator: true,
  });
  addFormats.default(ajv);
  return ajv;
}

// Bodies are JSON, typed as sent; query strings and path parameters are text and are coerced.
const bodies = apiAjv(false);
const texts = apiAjv(true);

/**
 * Moves each error onto the field at fault: an unknown property or a bad discriminator is
 * reported at `/definitions/0/packts` or `/definitions/0/type`, not at the object holding it.
 */
function locate(error: ErrorObject): ErrorObject {
  if (error.keyword === "additionalProperties") {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return { ...error, instancePath: `${error.instancePath}/${extra}`, message: "is not a known option" };
  }
  if (error.keyword === "discriminator") {
    const tag = (error.params as { tag: string }).tag;
    return { ...error, instancePath: `${error.instancePath}/${tag}`, message: "is missing or not a known type" };
  }
  return error;
}

/**
 * The text forms of a yes/no that RIPE's API (Django REST framework) takes, in any case: ajv turns
 * only `true` and `false` into booleans, and clients send `show_all=1` or Python's `True`.
 */
const YES = /^(1|t|y|yes|true|on)$/i;
const NO = /^(0|f|n|no|false|off)$/i;

/** The yes/no properties of an object schema (a query string's). */
function flagsOf(schema: object): string[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  return Object.keys(properties).filter((name) => properties[name]!.type === "boolean");
}

/** Compiles an API schema for one part of a request (`body`, `querystring`, `params`, `headers`). */
export function compileApiValidator(schema: object, part: string): ValidateFunction {
  const validate = (part === "body" ? bodies : texts).compile(schema);
  const flags = part === "body" ? [] : flagsOf(schema);
  const located = ((data: unknown) => {
    if (flags.length > 0 && typeof data === "object" && data !== null) {
      const fields = data as Record<string, unknown>;
      for (const name of flags) {
        const value = fields[name];
        if (typeof value === "string") fields[name] = YES.test(value) ? true : NO.test(value) ? false : value;
      }
    }
    const ok = validate(data);
    located.errors = ok ? null : (validate.errors ?? []).map(locate);
    return ok;
  }) as ValidateFunction;
  return located;
}
