interface Doc {
  info: { title: string; description: string };
  paths: Record<string, Record<string, Operation>>;
}

interface Operation {
  summary: string;
  parameters: { name: string; in: string; required: boolean; description?: string; schema: unknown }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const json = (value: unknown) => `<details><summary>schema</summary><pre>${escape(JSON.stringify(value, null, 2))}</pre></details>`;

function typeOf(schema: unknown): string {
  const s = schema as { type?: string; enum?: unknown[]; anyOf?: unknown[] };
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (s.anyOf) return s.anyOf.map(typeOf).join(" | ");
  return s.type ?? "any";
}

function operationHtml(method: string, path: string, op: Operation): string {
  const params = op.parameters.length === 0 ? "" : `
    <table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>
    ${op.parameters.map((p) => `<tr><td><code>${escape(p.name)}</code>${p.required ? " *" : ""}</td><td>${p.in}</td>
      <td><code>${escape(typeOf(p.schema))}</code></td><td>${escape(p.description ?? "")}</td></tr>`).join("")}
    </table>`;
  const body = op.requestBody ? `<h4>Body</h4>${json(Object.values(op.requestBody.content)[0]?.schema)}` : "";
  const responses = Object.entries(op.responses).map(([status, r]) => {
    const schema = r.content ? Object.values(r.content)[0]?.schema : undefined;
    return `<li><b>${status}</b> ${escape(r.description)}${schema ? json(schema) : ""}</li>`;
  }).join("");
  return `<section><h3><span class="m">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3>
    <p>${escape(op.summary)}</p>${params}${body}<h4>Responses</h4><ul>${responses}</ul></section>`;
}

/** The OpenAPI document as one plain HTML page: no script, nothing fetched from elsewhere. */
export function renderDocsPage(doc: Doc): string {
  const operations = Object.entries(doc.paths)
    .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => operationHtml(method, path, op)))
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(doc.info.title)}</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  section { border-top: 1px solid #ddd; padding: .5rem 0; }
  .m { display: inline-block; min-width: 4.5rem; font-size: .8em; color: #fff; background: #3a6ea5; border-radius: 3px; padding: 0 .4em; }
  table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: .2em .5em; text-align: left; vertical-align: top; }
  pre { background: #f6f6f6; padding: .5em; overflow-x: auto; font-size: .85em; }
</style></head><body>
<h1>${escape(doc.info.title)}</h1>
<p>${escape(doc.info.description)}</p>
<p>Machine-readable: <a href="/api/v2/openapi.json">/api/v2/openapi.json</a> (OpenAPI 3.1).</p>
${operations}
</body></html>`;
}
