// Checks a JSON value against a definition of Argo CD's own OpenAPI document (argocd-swagger.json): every field must
// be declared there with the declared type, so a misnamed or misshapen field in the simulator fails a test.
import { readFileSync } from 'node:fs';

const SWAGGER_PATH = process.env.ARGOCD_SWAGGER ?? '/work/shared/reference/argocd-swagger.json';

type Schema = {
  $ref?: string;
  type?: string;
  format?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema;
  items?: Schema;
  allOf?: Schema[];
};

let swagger: { definitions: Record<string, Schema>; paths: Record<string, Record<string, { responses: Record<string, { schema: Schema }> }>> } | undefined;

export function loadSwagger() {
  swagger ??= JSON.parse(readFileSync(SWAGGER_PATH, 'utf8'));
  return swagger!;
}

/** The 200 response schema of `GET <path>` as the swagger declares it. */
export function responseSchema(path: string): Schema {
  return loadSwagger().paths[path]!.get!.responses['200']!.schema;
}

export function definition(name: string): Schema {
  const d = loadSwagger().definitions[name];
  if (!d) throw new Error(`no definition ${name} in the swagger`);
  return d;
}

/** Problems of `value` against `schema`, each with its JSON path; empty when it conforms. */
export function shapeProblems(value: unknown, schema: Schema, at = '$'): string[] {
  if (schema.$ref) return shapeProblems(value, definition(schema.$ref.replace('#/definitions/', '')), at);
  const props: Record<string, Schema> = { ...(schema.properties ?? {}) };
  for (const part of schema.allOf ?? []) {
    const resolved = part.$ref ? definition(part.$ref.replace('#/definitions/', '')) : part;
    Object.assign(props, resolved.properties ?? {});
  }
  const type = schema.type ?? (Object.keys(props).length ? 'object' : undefined);
  const problems: string[] = [];
  switch (type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: expected an object, got ${JSON.stringify(value)}`];
      for (const [key, v] of Object.entries(value)) {
        const p = props[key] ?? schema.additionalProperties;
        if (!p) problems.push(`${at}.${key}: not a field of the swagger's schema`);
        else problems.push(...shapeProblems(v, p, `${at}.${key}`));
      }
      return problems;
    }
    case 'array':
      if (!Array.isArray(value)) return [`${at}: expected an array`];
      value.forEach((v, i) => problems.push(...shapeProblems(v, schema.items ?? {}, `${at}[${i}]`)));
      return problems;
    case 'string':
      if (typeof value !== 'string') return [`${at}: expected a string, got ${JSON.stringify(value)}`];
      if (schema.format === 'date-time' && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(value)) return [`${at}: ${value} is not RFC3339 with whole seconds`];
      return [];
    case 'integer':
      // grpc-gateway writes int64 as a JSON string, int32 as a number.
      if (schema.format === 'int64' ? !(typeof value === 'string' && /^-?\d+$/.test(value)) && !Number.isInteger(value) : !Number.isInteger(value)) {
        return [`${at}: expected an integer, got ${JSON.stringify(value)}`];
      }
      return [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: expected a boolean`];
    default:
      return [];
  }
}
