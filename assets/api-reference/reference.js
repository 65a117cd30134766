// The interactive reference of the management API: renders /api/openapi.json and sends requests
// from this page (same origin, so the dashboard's session cookie works too). No dependencies, no
// other origin: the page works offline under a strict Content-Security-Policy.

const main = document.getElementById("main");
const nav = document.getElementById("nav");

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "class") node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function resolve(spec, schema) {
  if (schema && typeof schema.$ref === "string") {
    const name = schema.$ref.split("/").pop();
    return spec.components.schemas[name] ?? {};
  }
  return schema ?? {};
}

/** A JSON skeleton of a request body: its required members, with placeholder values. */
function example(spec, schema, depth = 0) {
  const resolved = resolve(spec, schema);
  if (depth > 4) return null;
  if (resolved.default !== undefined) return resolved.default;
  if (Array.isArray(resolved.enum)) return resolved.enum[0];
  if (resolved.const !== undefined) return resolved.const;
  if (Array.isArray(resolved.anyOf)) return example(spec, resolved.anyOf[0], depth + 1);
  switch (resolved.type) {
    case "object": {
      const result = {};
      for (const name of resolved.required ?? Object.keys(resolved.properties ?? {})) {
        result[name] = example(spec, resolved.properties?.[name], depth + 1);
      }
      return result;
    }
    case "array":
      return [];
    case "integer":
    case "number":
      return 0;
    case "boolean":
      return false;
    default:
      return "";
  }
}

function schemaBlock(spec, schema) {
  const name = typeof schema?.$ref === "string" ? schema.$ref.split("/").pop() : null;
  const body = JSON.stringify(resolve(spec, schema), null, 2);
  return element(
    "details",
    {},
    element("summary", {}, name === null ? "Schema" : `Schema: ${name}`),
    element("pre", {}, body),
  );
}

function parameterTable(parameters) {
  if (parameters.length === 0) return null;
  return element(
    "table",
    {},
    element(
      "tr",
      {},
      element("th", {}, "Parameter"),
      element("th", {}, "In"),
      element("th", {}, "Description"),
    ),
    parameters.map((parameter) =>
      element(
        "tr",
        {},
        element("td", {}, element("code", {}, parameter.name), parameter.required ? " *" : ""),
        element("td", {}, parameter.in),
        element("td", {}, parameter.description ?? ""),
      ),
    ),
  );
}

function tryForm(spec, path, method, operation) {
  const parameters = operation.parameters ?? [];
  const inputs = new Map();
  const form = element("form", { class: "try" });
  for (const parameter of parameters) {
    const input = element("input", { name: parameter.name, placeholder: parameter.name });
    inputs.set(parameter, input);
    form.append(element("label", {}, `${parameter.name} (${parameter.in}) `, input));
  }
  const json = operation.requestBody?.content?.["application/json"];
  const body = json
    ? element(
        "textarea",
        { "aria-label": "Request body" },
        JSON.stringify(example(spec, json.schema), null, 2),
      )
    : null;
  if (body !== null) form.append(body);
  const output = element("div", { "aria-live": "polite" });
  form.append(element("button", { type: "submit" }, "Send"), output);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let url = path;
    const query = new URLSearchParams();
    for (const [parameter, input] of inputs) {
      if (input.value === "") continue;
      if (parameter.in === "path") url = url.replace(`{${parameter.name}}`, encodeURIComponent(input.value));
      else query.set(parameter.name, input.value);
    }
    if ([...query].length > 0) url += `?${query}`;
    const headers = {};
    const token = document.getElementById("token").value.trim();
    const csrf = document.getElementById("csrf").value.trim();
    if (token !== "") headers.authorization = `Bearer ${token}`;
    if (csrf !== "") headers["x-csrf-token"] = csrf;
    if (body !== null) headers["content-type"] = "application/json";
    output.replaceChildren(element("p", { class: "muted" }, `${method.toUpperCase()} ${url} …`));
    try {
      const response = await fetch(url, {
        method: method.toUpperCase(),
        headers,
        credentials: "same-origin",
        ...(body === null ? {} : { body: body.value }),
      });
      const text = await response.text();
      let shown = text;
      try {
        shown = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        // Not JSON: shown as it came.
      }
      output.replaceChildren(
        element("p", { class: "status" }, `${response.status} ${response.statusText}`),
        element("pre", {}, shown === "" ? "(no body)" : shown),
      );
    } catch (error) {
      output.replaceChildren(element("p", { class: "status" }, `Request failed: ${error}`));
    }
  });
  return element("details", {}, element("summary", {}, "Try it"), form);
}

function render(spec) {
  const byTag = new Map();
  for (const tag of spec.tags ?? []) byTag.set(tag.name, { tag, operations: [] });
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const tag = operation.tags?.[0] ?? "Other";
      if (!byTag.has(tag)) byTag.set(tag, { tag: { name: tag }, operations: [] });
      byTag.get(tag).operations.push({ path, method, operation });
    }
  }
  main.replaceChildren(
    element("p", {}, spec.info.description),
    element(
      "p",
      { class: "muted" },
      `Version ${spec.info.version} · `,
      element("a", { href: "/api/openapi.json" }, "openapi.json"),
    ),
  );
  for (const { tag, operations } of byTag.values()) {
    nav.append(element("h2", {}, tag.name));
    main.append(
      element("h2", { id: `tag-${tag.name}` }, tag.name),
      tag.description ? element("p", {}, tag.description) : null,
    );
    for (const { path, method, operation } of operations) {
      const id = operation.operationId;
      nav.append(
        element(
          "a",
          { href: `#${id}` },
          element("span", { class: `method ${method}` }, method.toUpperCase()),
          " ",
          operation.summary,
        ),
      );
      const responses = Object.entries(operation.responses ?? {}).map(([status, response]) => {
        const content = Object.entries(response.content ?? {})[0];
        return element(
          "div",
          {},
          element(
            "p",
            {},
            element("strong", {}, status),
            ` ${response.description}`,
            content ? element("span", { class: "muted" }, ` (${content[0]})`) : null,
          ),
          content?.[1]?.schema ? schemaBlock(spec, content[1].schema) : null,
        );
      });
      const json = operation.requestBody?.content?.["application/json"];
      main.append(
        element(
          "section",
          { class: "operation", id },
          element(
            "h3",
            {},
            element("span", { class: `method ${method}` }, method.toUpperCase()),
            " ",
            element("code", {}, path),
          ),
          element("p", {}, element("strong", {}, operation.summary)),
          ...(operation.description ?? "").split("\n\n").map((paragraph) => element("p", {}, paragraph)),
          parameterTable(operation.parameters ?? []),
          json ? element("div", {}, element("h4", {}, "Request body"), schemaBlock(spec, json.schema)) : null,
          operation.requestBody && !json
            ? element("p", {}, `Request body: ${Object.keys(operation.requestBody.content).join(", ")}`)
            : null,
          element("h4", {}, "Responses"),
          responses,
          tryForm(spec, path, method, operation),
        ),
      );
    }
  }
}

try {
  const response = await fetch("/api/openapi.json", { credentials: "same-origin" });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  render(await response.json());
} catch (error) {
  main.replaceChildren(element("p", {}, `Could not load /api/openapi.json: ${error}`));
}
