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

/** Compiles an API schema for one part of a request (`body`, `querystring`, `params`, `headers`). */
export function compileApiValidator(schema: object, part: string): ValidateFunction {
  const validate = (part === "body" ? bodies : texts).compile(schema);
  const located = ((data: unknown) => {
    const ok = validate(data);
    located.errors = ok ? null : (validate.errors ?? []).map(locate);
    return ok;
  }) as ValidateFunction;
  return located;
}
