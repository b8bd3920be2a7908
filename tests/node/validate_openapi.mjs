// Validates an OpenAPI 3.1 document (api/openapi.json; the CTest test api.openapi_valid):
//   1. against the official OpenAPI 3.1 JSON schema, $refs resolved
//      (@seriousme/openapi-schema-validator);
//   2. every Schema Object against JSON Schema 2020-12 in ajv's strict mode, which the official
//      schema leaves unchecked (a typo such as "type": "strnig" or "maxLenght" passes step 1);
//   3. every example against the schema it illustrates, so examples cannot drift from schemas;
//   4. what neither schema can express: unique operationIds, security requirements and tags that
//      name declared ones, a success response on every operation.
// Usage: node validate_openapi.mjs FILE. Prints one line per problem; exits 1 if there is any.
import { readFileSync } from "node:fs";

// Imported here rather than statically, so a missing install says how to fix it.
let Validator, Ajv2020, addFormats;
try {
  ({ Validator } = await import("@seriousme/openapi-schema-validator"));
  ({ default: Ajv2020 } = await import("ajv/dist/2020.js"));
  ({ default: addFormats } = await import("ajv-formats"));
} catch (error) {
  console.error(
    `${error.message}\ntests/node/node_modules is missing or stale: ` +
      "run scripts/install-deps.sh test (npm ci in tests/node)",
  );
  process.exit(1);
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const COMPONENTS_ID = "urn:connect-auth:openapi-components";

const file = process.argv[2];
if (!file) {
  console.error("usage: node validate_openapi.mjs FILE");
  process.exit(2);
}

let document;
try {
  document = JSON.parse(readFileSync(file, "utf8"));
} catch (error) {
  console.error(`${file}: not readable JSON: ${error.message}`);
  process.exit(1);
}

const problems = [];

// 1. The official schema.
const validator = new Validator();
const official = await validator.validate(structuredClone(document));
if (!official.valid) {
  for (const error of [].concat(official.errors ?? [])) {
    problems.push(`schema: ${error.instancePath ?? ""} ${error.message ?? JSON.stringify(error)}`);
  }
} else if (validator.version !== "3.1") {
  problems.push(`schema: OpenAPI ${validator.version}, expected 3.1`);
}

// 2. Schema Objects. Local component references are rewritten to one registered root, so each
// inline schema compiles on its own.
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
ajv.addFormat("password", true); // OpenAPI's UI hint, not a constraint
ajv.addVocabulary(["discriminator", "xml", "externalDocs", "example"]); // OpenAPI 3.1 dialect

function rewriteRefs(node) {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== "object") return node;
  const copy = {};
  for (const [key, value] of Object.entries(node)) {
    copy[key] =
      key === "$ref" && typeof value === "string" && value.startsWith("#/components/schemas/")
        ? `${COMPONENTS_ID}#/$defs/${value.slice("#/components/schemas/".length)}`
        : rewriteRefs(value);
  }
  return copy;
}

const componentSchemas = document.components?.schemas ?? {};
try {
  ajv.addSchema({ $id: COMPONENTS_ID, $defs: rewriteRefs(componentSchemas) });
} catch (error) {
  problems.push(`components.schemas: ${error.message}`);
}

function compile(schema, where) {
  try {
    return ajv.compile(rewriteRefs(schema));
  } catch (error) {
    problems.push(`${where}: ${error.message}`);
    return null;
  }
}

for (const name of Object.keys(componentSchemas)) {
  compile({ $ref: `#/components/schemas/${name}` }, `components.schemas.${name}`);
}

// 3. Every inline schema (parameters, headers, media types) and the examples beside it. Example
// subtrees are data, never searched for schemas.
let examplesChecked = 0;
function checkExample(validate, value, where) {
  examplesChecked += 1;
  if (validate && !validate(value)) {
    for (const error of validate.errors) {
      problems.push(`${where}: example${error.instancePath} ${error.message}`);
    }
  }
}

function visit(node, where) {
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) {
    node.forEach((item, i) => visit(item, `${where}[${i}]`));
    return;
  }
  if (node.schema !== undefined && typeof node.schema === "object") {
    const validate = compile(node.schema, `${where}.schema`);
    if ("example" in node) checkExample(validate, node.example, `${where}.example`);
    for (const [name, example] of Object.entries(node.examples ?? {})) {
      if (example && "value" in example) {
        checkExample(validate, example.value, `${where}.examples.${name}`);
      }
    }
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === "schema" || key === "example" || key === "examples") continue;
    if (where === "components" && key === "schemas") continue; // compiled above
    visit(value, where ? `${where}.${key}` : key);
  }
}
visit(document, "");

// 4. Cross-references the schemas cannot check.
const schemes = new Set(Object.keys(document.components?.securitySchemes ?? {}));
const tags = new Set((document.tags ?? []).map((tag) => tag.name));
const operationIds = new Map();
let operations = 0;
function checkSecurity(requirements, where) {
  for (const requirement of requirements ?? []) {
    for (const name of Object.keys(requirement)) {
      if (!schemes.has(name)) problems.push(`${where}: unknown security scheme "${name}"`);
    }
  }
}
checkSecurity(document.security, "security");
for (const [path, item] of Object.entries(document.paths ?? {})) {
  for (const method of METHODS) {
    const operation = item[method];
    if (!operation) continue;
    operations += 1;
    const where = `${method.toUpperCase()} ${path}`;
    if (!operation.operationId) {
      problems.push(`${where}: no operationId`);
    } else if (operationIds.has(operation.operationId)) {
      problems.push(
        `${where}: operationId "${operation.operationId}" is also used by ` +
          operationIds.get(operation.operationId),
      );
    } else {
      operationIds.set(operation.operationId, where);
    }
    checkSecurity(operation.security, where);
    for (const tag of operation.tags ?? []) {
      if (!tags.has(tag)) problems.push(`${where}: tag "${tag}" is not declared`);
    }
    const statuses = Object.keys(operation.responses ?? {});
    if (!statuses.some((status) => /^2(\d\d|XX)$/.test(status))) {
      problems.push(`${where}: no success (2xx) response`);
    }
  }
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`${file}: ${problem}`);
  console.error(`${problems.length} problem(s)`);
  process.exit(1);
}
console.log(
  `${file}: valid OpenAPI 3.1 (${operations} operations, ` +
    `${Object.keys(componentSchemas).length} component schemas, ${examplesChecked} examples)`,
);
