// promenade.yaml: the pipeline definition at the root of the GitOps repository, parsed and checked once at the edge.
// Every problem is collected (not just the first) and names its field path, the rule and the value, so one edit
// of the file fixes everything. Pure: no fs, the caller reads the file.
//
// The smallest useful file is
//
//   apps:
//     myapp: {}
//
// and the full form is
//
//   defaults:                     # optional; every key also allowed per app, the app's value wins
//     branch: main
//     rollback: failed-environment        # | all-promoted-environments | none
//     concurrency: supersede              # | queue
//     project: default
//     approval: { approvers: [alice, group:sre], required: 1, allowSelfApproval: false, timeout: 24h, identity: asserted }
//     environments: [dev, staging, prod]  # names, or objects as below
//   apps:
//     myapp:
//       environments:
//         - name: dev
//           path: dev/{app}                 # {app} and {env} are replaced
//           application: "{app}-{env}"
//           project: default
//           image: { container: "{app}", file: deployment.yaml }   # file relative to path
//           #  or  { kustomize: "{app}", file: kustomization.yaml }
//           #  or  { helm: image.tag, file: values.yaml, value: tag }  # value: tag | reference
//           soak: 0s
//         - name: prod
//           approval: { approvers: [alice], timeout: 2h }           # or false for no gate
//           soak: 5m
import { isAlias, isCollection, isPair, isScalar, parseDocument, type Node as YamlNode } from 'yaml';
import { ApplicationFailure } from '@temporalio/common';
import { CONCURRENCY_MODES, GROUP_PREFIX, IDENTITY_REQUIREMENTS, type AppPipeline, type ApprovalPolicy, type CheckConfig, type CheckLimits, type Concurrency, type EnvironmentConfig, type HttpCheckConfig, type IdentityRequirement, type ImageSetter, type PipelineFile, type PrometheusCheckConfig, type RollbackScope } from './pipeline.js';
import { ConditionError, parseCondition } from '../verification/condition.js';
import { redactUrlCredentials } from './repository-url.js';
import { CONTROL_CHARACTERS, isBranchName, isNameLabel, MAX_NAME_LENGTH, quoteValue, RESOURCE_NAME } from './text-rules.js';

/**
 * Every default in one place. Production is taken to be the last environment of a pipeline: it is the one gated by
 * an approval and soaked, unless it says `approval: false` / `soak: 0s`. Self-approval is forbidden by default: a
 * gate the requester can open alone is no gate (opt out with `allowSelfApproval: true`).
 */
export const PIPELINE_DEFAULTS = {
  branch: 'main',
  environments: ['dev', 'staging', 'prod'],
  path: '{env}/{app}',
  application: '{app}-{env}',
  project: 'default',
  image: {
    container: { container: '{app}', file: 'deployment.yaml' },
    kustomize: { file: 'kustomization.yaml' },
    helm: { file: 'values.yaml' },
  },
  approval: { approvers: [] as string[], required: 1, forbidSelfApproval: true, timeoutSeconds: 24 * 3600 },
  soakSeconds: { last: 60, others: 0 },
  failFastSeconds: 60,
  rollback: 'failed-environment' as RollbackScope,
  concurrency: 'supersede' as Concurrency,
} as const;

export const PIPELINE_FILE_NAME = 'promenade.yaml';
const MAX_BYTES = 256 * 1024;
const MAX_DEPTH = 16;
const MAX_APPS = 1000;
const MAX_ENVIRONMENTS = 20;
const MAX_DURATION_SECONDS = 30 * 24 * 3600;
const ROLLBACK_SCOPES: RollbackScope[] = ['failed-environment', 'all-promoted-environments', 'none'];

export class InvalidConfigError extends ApplicationFailure {
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1 ? problems[0] : `${PIPELINE_FILE_NAME} has ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      'InvalidConfig',
      true,
      [{ problems }],
    );
  }
}

export function parsePipelineFile(text: string, opts: { repository: string }): PipelineFile {
  const problems = new Problems();
  const size = new TextEncoder().encode(text).length;
  if (size > MAX_BYTES) throw new InvalidConfigError([problems.line('(file)', `${size} bytes`, `is larger than ${MAX_BYTES} bytes`)]);

  // Aliases are refused outright: a pipeline has no need for them and they are how "billion laughs" documents grow.
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  for (const error of doc.errors) {
    const before = text.slice(0, error.pos[0]).split('\n');
    problems.add(`line ${before.length}, column ${before.at(-1)!.length + 1}`, undefined, `YAML error: ${error.message.split('\n')[0]}`);
  }
  if (problems.any()) throw new InvalidConfigError(problems.list);
  const structural = checkStructure(doc.contents as YamlNode | null);
  if (structural) throw new InvalidConfigError([problems.line(structural.path, undefined, structural.explanation)]);

  const root: unknown = doc.toJS({ maxAliasCount: 0 });
  const apps: Record<string, AppPipeline> = {};
  if (!isMapping(root)) {
    problems.add('(root)', root, 'is not a mapping (expected "apps:" at the top level)');
    throw new InvalidConfigError(problems.list);
  }
  problems.unknownKeys('', root, ['version', 'defaults', 'apps']);
  if (root.version !== undefined && root.version !== 1) problems.add('version', root.version, 'is not a supported version (use 1)');
  const defaults = root.defaults === undefined ? {} : root.defaults;
  if (!isMapping(defaults)) problems.add('defaults', defaults, 'is not a mapping');
  else problems.unknownKeys('defaults', defaults, APP_KEYS);

  if (!isMapping(root.apps)) problems.add('apps', root.apps, 'is not a mapping of app name to its pipeline (e.g. "apps: { myapp: {} }")');
  else {
    const names = Object.keys(root.apps);
    if (names.length === 0) problems.add('apps', root.apps, 'lists no app');
    if (names.length > MAX_APPS) problems.add('apps', `${names.length} apps`, `are more than ${MAX_APPS}`);
    for (const app of names.slice(0, MAX_APPS)) {
      const pipeline = resolveApp(problems, app, root.apps[app], isMapping(defaults) ? defaults : {}, redactUrlCredentials(opts.repository));
      if (pipeline) apps[app] = pipeline;
    }
  }
  if (problems.any()) throw new InvalidConfigError(problems.list);
  return { repository: opts.repository, apps };
}

export function resolveAppPipeline(file: PipelineFile, app: string): AppPipeline {
  const pipeline = Object.hasOwn(file.apps, app) ? file.apps[app] : undefined;
  if (!pipeline) {
    const known = Object.keys(file.apps);
    throw new InvalidConfigError([`${PIPELINE_FILE_NAME}: apps.${app}: no such app (known: ${known.length ? known.join(', ') : 'none'})`]);
  }
  return pipeline;
}

/** Seconds in `30s`, `5m`, `2h`, `1h30m`; undefined if it is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,7})s)?$/.exec(text);
  if (!match || text === '') return text === '0' ? 0 : undefined;
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}

const APP_KEYS = ['branch', 'rollback', 'concurrency', 'project', 'approval', 'environments'];
const ENVIRONMENT_KEYS = ['name', 'path', 'application', 'project', 'image', 'approval', 'soak', 'failFast', 'checks'];
const APPROVAL_KEYS = ['approvers', 'required', 'allowSelfApproval', 'forbidSelfApproval', 'timeout', 'identity'];

type Mapping = Record<string, unknown>;

function resolveApp(problems: Problems, app: string, raw: unknown, defaults: Mapping, repository: string): AppPipeline | undefined {
  const at = `apps.${app}`;
  const before = problems.count();
  if (!isNameLabel(app)) problems.add(at, app, `is not a valid app name (lowercase letters, digits and "-", at most ${MAX_NAME_LENGTH})`);
  const spec = raw === null ? {} : raw;
  if (!isMapping(spec)) {
    problems.add(at, spec, 'is not a mapping (use "{}" for all defaults)');
    return undefined;
  }
  problems.unknownKeys(at, spec, APP_KEYS);
  const pick = (key: string): { value: unknown; path: string } =>
    spec[key] !== undefined ? { value: spec[key], path: `${at}.${key}` } : { value: defaults[key], path: `defaults.${key}` };

  const branchField = pick('branch');
  const branch = branchField.value === undefined ? PIPELINE_DEFAULTS.branch : problems.branch(branchField.path, branchField.value);
  const rollbackField = pick('rollback');
  let rollback: RollbackScope = PIPELINE_DEFAULTS.rollback;
  if (rollbackField.value !== undefined) {
    if (ROLLBACK_SCOPES.includes(rollbackField.value as RollbackScope)) rollback = rollbackField.value as RollbackScope;
    else problems.add(rollbackField.path, rollbackField.value, `is not a rollback scope (use ${ROLLBACK_SCOPES.join(', ')})`);
  }
  const concurrencyField = pick('concurrency');
  let concurrency: Concurrency = PIPELINE_DEFAULTS.concurrency;
  if (concurrencyField.value !== undefined) {
    if (CONCURRENCY_MODES.includes(concurrencyField.value as Concurrency)) concurrency = concurrencyField.value as Concurrency;
    else problems.add(concurrencyField.path, concurrencyField.value, `is not a concurrency mode (use ${CONCURRENCY_MODES.join(' or ')})`);
  }
  const projectField = pick('project');
  const project = projectField.value === undefined ? PIPELINE_DEFAULTS.project : problems.resourceName(projectField.path, projectField.value);
  const approvalField = pick('approval');
  let approvalBase: ApprovalPolicy = { ...PIPELINE_DEFAULTS.approval, approvers: [] };
  if (approvalField.value !== undefined) approvalBase = approvalPolicy(problems, approvalField.path, approvalField.value, approvalBase) ?? approvalBase;

  const environmentsField = pick('environments');
  const list = environmentsField.value === undefined ? [...PIPELINE_DEFAULTS.environments] : environmentsField.value;
  const environments: EnvironmentConfig[] = [];
  if (!Array.isArray(list)) problems.add(environmentsField.path, list, 'is not a list of environments');
  else if (list.length === 0) problems.add(environmentsField.path, list, 'lists no environment');
  else if (list.length > MAX_ENVIRONMENTS) problems.add(environmentsField.path, `${list.length} environments`, `are more than ${MAX_ENVIRONMENTS}`);
  else {
    const seen = new Set<string>();
    list.forEach((entry, index) => {
      const path = `${environmentsField.path}[${index}]`;
      const isLast = index === list.length - 1;
      const name = typeof entry === 'string' ? entry : isMapping(entry) ? entry.name : undefined;
      if (typeof name === 'string' && seen.has(name)) problems.add(typeof entry === 'string' ? path : `${path}.name`, name, 'is a duplicate environment name');
      if (typeof name === 'string') seen.add(name);
      const environment = resolveEnvironment(problems, path, app, entry, { project, approval: approvalBase, isLast });
      if (environment) environments.push(environment);
    });
  }
  if (problems.count() > before || branch === undefined || project === undefined) return undefined;
  return { app, repository, branch, environments, rollback, concurrency };
}

function resolveEnvironment(
  problems: Problems,
  at: string,
  app: string,
  raw: unknown,
  inherited: { project: string | undefined; approval: ApprovalPolicy; isLast: boolean },
): EnvironmentConfig | undefined {
  const spec: Mapping | undefined = typeof raw === 'string' ? { name: raw } : isMapping(raw) ? raw : undefined;
  if (!spec) {
    problems.add(at, raw, 'is not an environment (a name or a mapping with "name:")');
    return undefined;
  }
  problems.unknownKeys(at, spec, ENVIRONMENT_KEYS);
  const nameAt = typeof raw === 'string' ? at : `${at}.name`;
  if (typeof spec.name !== 'string') {
    problems.add(nameAt, spec.name, 'is not an environment name (a string)');
    return undefined;
  }
  const name = spec.name;
  if (!isNameLabel(name)) problems.add(nameAt, name, `is not a valid environment name (lowercase letters, digits and "-", at most ${MAX_NAME_LENGTH})`);
  const fill = (template: string) => template.replaceAll('{app}', app).replaceAll('{env}', name);

  const pathRaw = spec.path === undefined ? PIPELINE_DEFAULTS.path : spec.path;
  const path = problems.repositoryPath(`${at}.path`, typeof pathRaw === 'string' ? fill(pathRaw) : pathRaw);

  const application = problems.resourceName(`${at}.application`, fill(stringOr(spec.application, PIPELINE_DEFAULTS.application)), spec.application);
  const project = spec.project === undefined ? inherited.project : problems.resourceName(`${at}.project`, spec.project);
  const image = imageSetter(problems, `${at}.image`, spec.image, path, fill);

  let approval: ApprovalPolicy | undefined;
  if (spec.approval === undefined) approval = inherited.isLast ? { ...inherited.approval } : undefined;
  else approval = approvalPolicy(problems, `${at}.approval`, spec.approval, inherited.approval);

  let soakSeconds: number = inherited.isLast ? PIPELINE_DEFAULTS.soakSeconds.last : PIPELINE_DEFAULTS.soakSeconds.others;
  if (spec.soak !== undefined) soakSeconds = problems.duration(`${at}.soak`, spec.soak) ?? soakSeconds;

  const failFastSeconds = failFast(problems, `${at}.failFast`, spec.failFast);
  const checkList = spec.checks === undefined ? undefined : checks(problems, `${at}.checks`, spec.checks);

  if (path === undefined || application === undefined || project === undefined || image === undefined) return undefined;
  const environment: EnvironmentConfig = { name, path, argocd: { application, project }, image, soakSeconds, failFastSeconds };
  if (approval) environment.approval = approval;
  if (checkList?.length) environment.checks = checkList;
  return environment;
}

function imageSetter(problems: Problems, at: string, raw: unknown, envPath: string | undefined, fill: (t: string) => string): ImageSetter | undefined {
  const spec = raw === undefined ? { ...PIPELINE_DEFAULTS.image.container } : raw;
  if (!isMapping(spec)) {
    problems.add(at, spec, 'is not an image setter (e.g. "{ container: myapp }", "{ kustomize: myapp }" or "{ helm: image.tag }")');
    return undefined;
  }
  const kinds = (['container', 'kustomize', 'helm'] as const).filter((kind) => spec[kind] !== undefined);
  if (kinds.length !== 1) {
    problems.add(at, spec, `must name exactly one of container, kustomize, helm (found ${kinds.length ? kinds.join(', ') : 'none'})`);
    return undefined;
  }
  const kind = kinds[0]!;
  problems.unknownKeys(at, spec, kind === 'helm' ? ['helm', 'file', 'value'] : [kind, 'file']);
  const target = spec[kind];
  if (typeof target !== 'string' || target === '' || CONTROL_CHARACTERS.test(target)) {
    problems.add(`${at}.${kind}`, target, 'is not a non-empty string');
    return undefined;
  }
  const fileRaw = spec.file === undefined ? PIPELINE_DEFAULTS.image[kind].file : spec.file;
  if (typeof fileRaw !== 'string') {
    problems.add(`${at}.file`, fileRaw, 'is not a file path');
    return undefined;
  }
  if (envPath === undefined) return undefined;
  if (fileRaw.startsWith('/')) {
    problems.add(`${at}.file`, fileRaw, 'is absolute; give it relative to the environment path');
    return undefined;
  }
  const file = problems.repositoryPath(`${at}.file`, `${envPath}/${fill(fileRaw)}`, fileRaw);
  if (file === undefined) return undefined;
  if (kind === 'container') return { kind, file, container: fill(target) };
  if (kind === 'kustomize') return { kind, file, name: fill(target) };
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(target)) {
    problems.add(`${at}.helm`, target, 'is not a dotted values key (e.g. image.tag)');
    return undefined;
  }
  const value = spec.value ?? (target.endsWith('.tag') || target === 'tag' ? 'tag' : 'reference');
  if (value !== 'tag' && value !== 'reference') {
    problems.add(`${at}.value`, value, 'is not "tag" or "reference"');
    return undefined;
  }
  return { kind, file, key: target, value };
}

/** `failFast: 45s`: how long the new pods may keep failing before the stage fails; `0`/`0s` waits for Kubernetes. */
function failFast(problems: Problems, at: string, raw: unknown): number {
  if (raw === undefined) return PIPELINE_DEFAULTS.failFastSeconds;
  const seconds = problems.duration(at, raw);
  if (seconds !== undefined && seconds > 3600) problems.add(at, raw, 'is longer than 1h (a stage waits at most that long; use 0 to turn fail-fast off)');
  return seconds ?? PIPELINE_DEFAULTS.failFastSeconds;
}

const MAX_CHECKS = 20;
const CHECK_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HTTP_KEYS = ['url', 'method', 'status', 'body', 'headers', 'secretHeaders', 'successes', 'interval', 'timeout', 'insecure', 'failureLimit', 'errorLimit'];
const PROMETHEUS_KEYS = ['query', 'server', 'successCondition', 'failureCondition', 'interval', 'count', 'failureLimit', 'inconclusiveLimit', 'errorLimit'];
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
const ENV_VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `checks:` of an environment: `- { name, http: {...} }` or `- { name, prometheus: {...} }`. Conditions are parsed
 * here, so a wrong one stops the promotion before anything is committed. Hosts and secrets are checked against the
 * worker's configuration when the pipeline is loaded (src/verification/policy.ts), not here: this file has no say.
 */
function checks(problems: Problems, at: string, raw: unknown): CheckConfig[] | undefined {
  if (!Array.isArray(raw)) {
    problems.add(at, raw, 'is not a list of checks');
    return undefined;
  }
  if (raw.length > MAX_CHECKS) problems.add(at, `${raw.length} checks`, `are more than ${MAX_CHECKS}`);
  const out: CheckConfig[] = [];
  const names = new Set<string>();
  raw.slice(0, MAX_CHECKS).forEach((entry, index) => {
    const here = `${at}[${index}]`;
    if (!isMapping(entry)) return problems.add(here, entry, 'is not a check (a mapping with name and http: or prometheus:)');
    problems.unknownKeys(here, entry, ['name', 'http', 'prometheus']);
    const name = entry.name;
    if (typeof name !== 'string' || name.length > 63 || !CHECK_NAME.test(name)) problems.add(`${here}.name`, name, 'is not a check name (lowercase letters, digits and "-")');
    else if (names.has(name)) problems.add(`${here}.name`, name, 'is a duplicate check name');
    else names.add(name);
    const kinds = ['http', 'prometheus'].filter((k) => entry[k] !== undefined);
    if (kinds.length !== 1) return problems.add(here, undefined, 'needs exactly one of http: or prometheus:');
    const check = kinds[0] === 'http' ? httpCheck(problems, `${here}.http`, entry.http) : prometheusCheck(problems, `${here}.prometheus`, entry.prometheus);
    if (check && typeof name === 'string') out.push({ ...check, name } as CheckConfig);
  });
  return out;
}

function checkLimits(problems: Problems, at: string, spec: Mapping, defaults: CheckLimits): CheckLimits {
  const interval = spec.interval === undefined ? defaults.intervalSeconds : problems.duration(`${at}.interval`, spec.interval);
  if (interval === 0) problems.add(`${at}.interval`, spec.interval, 'must be longer than 0s');
  return {
    intervalSeconds: interval || defaults.intervalSeconds,
    failureLimit: count(problems, `${at}.failureLimit`, spec.failureLimit, defaults.failureLimit, 0),
    errorLimit: count(problems, `${at}.errorLimit`, spec.errorLimit, defaults.errorLimit, 0),
  };
}

function count(problems: Problems, at: string, raw: unknown, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  if (!Number.isInteger(raw) || (raw as number) < min || (raw as number) > 1000) {
    problems.add(at, raw, `is not a whole number from ${min} to 1000`);
    return fallback;
  }
  return raw as number;
}

function httpCheck(problems: Problems, at: string, spec: unknown): Omit<HttpCheckConfig, 'name'> | undefined {
  if (!isMapping(spec)) return problems.add(at, spec, 'is not a mapping (url:, status:, ...)'), undefined;
  problems.unknownKeys(at, spec, HTTP_KEYS);
  const before = problems.count();
  let url: URL | undefined;
  try {
    url = typeof spec.url === 'string' && spec.url.length <= 2000 && !CONTROL_CHARACTERS.test(spec.url) ? new URL(spec.url) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) problems.add(`${at}.url`, spec.url, 'is not an http(s) URL');
  else if (url.username || url.password) problems.add(`${at}.url`, redactUrlCredentials(String(spec.url)), 'must not carry credentials (use secretHeaders)');
  const method = spec.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') problems.add(`${at}.method`, method, 'is not GET, HEAD or POST');
  const status = count(problems, `${at}.status`, spec.status, 200, 100);
  if (status > 599) problems.add(`${at}.status`, spec.status, 'is not an HTTP status');
  let body: HttpCheckConfig['body'];
  if (spec.body !== undefined) {
    const b = spec.body;
    if (isMapping(b) && typeof b.regex === 'string' && Object.keys(b).length === 1) {
      if (b.regex.length > 200) problems.add(`${at}.body.regex`, b.regex, 'is longer than 200 characters');
      else {
        try {
          new RegExp(b.regex);
          body = { regex: b.regex };
        } catch (err) {
          problems.add(`${at}.body.regex`, b.regex, `is not a regular expression: ${(err as Error).message}`);
        }
      }
    } else if (isMapping(b) && typeof b.jsonPath === 'string' && 'value' in b && Object.keys(b).length === 2) {
      const v = b.value;
      if (!/^\$(\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*$/.test(b.jsonPath)) problems.add(`${at}.body.jsonPath`, b.jsonPath, 'is not a JSON path like $.status or $.items[0].ready');
      else if (v !== null && !['string', 'number', 'boolean'].includes(typeof v)) problems.add(`${at}.body.value`, v, 'is not a string, number, boolean or null');
      else body = { jsonPath: b.jsonPath, value: v as string | number | boolean | null };
    } else problems.add(`${at}.body`, b, 'is not { regex: ... } or { jsonPath: ..., value: ... }');
  }
  const headers: Record<string, string> = {};
  const secretHeaders: Record<string, string> = {};
  for (const [field, target, valueRule] of [
    ['headers', headers, (v: unknown) => typeof v === 'string' && v.length <= 1000 && !CONTROL_CHARACTERS.test(v)],
    ['secretHeaders', secretHeaders, (v: unknown) => typeof v === 'string' && ENV_VAR.test(v)],
  ] as const) {
    const h = spec[field];
    if (h === undefined) continue;
    if (!isMapping(h)) {
      problems.add(`${at}.${field}`, h, 'is not a mapping of header name to value');
      continue;
    }
    for (const [k, v] of Object.entries(h)) {
      if (!HEADER_NAME.test(k)) problems.add(`${at}.${field}`, k, 'is not a header name');
      else if (!valueRule(v)) problems.add(`${at}.${field}.${k}`, field === 'headers' ? v : undefined, field === 'headers' ? 'is not a single-line header value' : 'is not the name of an environment variable on the worker');
      else target[k] = v as string;
    }
  }
  const successes = count(problems, `${at}.successes`, spec.successes, 1, 1);
  const timeout = spec.timeout === undefined ? 10 : problems.duration(`${at}.timeout`, spec.timeout);
  if (timeout === 0) problems.add(`${at}.timeout`, spec.timeout, 'must be longer than 0s');
  if (spec.insecure !== undefined && typeof spec.insecure !== 'boolean') problems.add(`${at}.insecure`, spec.insecure, 'is not true or false');
  const limits = checkLimits(problems, at, spec, { intervalSeconds: 5, failureLimit: 0, errorLimit: 4 });
  if (problems.count() > before || !url) return undefined;
  return { kind: 'http', url: url.toString(), method: method as HttpCheckConfig['method'], status, ...(body ? { body } : {}), headers, secretHeaders, successes, timeoutSeconds: timeout || 10, insecure: spec.insecure === true, ...limits };
}

function prometheusCheck(problems: Problems, at: string, spec: unknown): Omit<PrometheusCheckConfig, 'name'> | undefined {
  if (!isMapping(spec)) return problems.add(at, spec, 'is not a mapping (query:, successCondition:, ...)'), undefined;
  problems.unknownKeys(at, spec, PROMETHEUS_KEYS);
  const before = problems.count();
  if (typeof spec.query !== 'string' || spec.query.trim() === '' || spec.query.length > 4000) problems.add(`${at}.query`, spec.query, 'is not a PromQL query (a non-empty string)');
  const server = spec.server ?? 'default';
  if (typeof server !== 'string' || !CHECK_NAME.test(server)) problems.add(`${at}.server`, server, 'is not the name of a Prometheus server');
  const conditions: Record<string, string> = {};
  for (const key of ['successCondition', 'failureCondition']) {
    const c = spec[key];
    if (c === undefined) continue;
    if (typeof c !== 'string') {
      problems.add(`${at}.${key}`, c, 'is not a condition (e.g. "result[0] < 0.05")');
      continue;
    }
    try {
      parseCondition(c);
      conditions[key] = c;
    } catch (err) {
      if (!(err instanceof ConditionError)) throw err;
      problems.add(`${at}.${key}`, c, err.message);
    }
  }
  if (spec.successCondition === undefined && spec.failureCondition === undefined) problems.add(at, undefined, 'needs successCondition, failureCondition or both');
  const measurements = count(problems, `${at}.count`, spec.count, 1, 1);
  const inconclusiveLimit = count(problems, `${at}.inconclusiveLimit`, spec.inconclusiveLimit, 0, 0);
  const limits = checkLimits(problems, at, spec, { intervalSeconds: 30, failureLimit: 0, errorLimit: 4 });
  if (problems.count() > before) return undefined;
  return { kind: 'prometheus', server: server as string, query: spec.query as string, ...conditions, count: measurements, inconclusiveLimit, ...limits };
}

function approvalPolicy(problems: Problems, at: string, raw: unknown, base: ApprovalPolicy): ApprovalPolicy | undefined {
  if (raw === false) return undefined;
  if (raw === true || raw === null) return { ...base };
  if (!isMapping(raw)) {
    problems.add(at, raw, 'is not an approval policy (a mapping, true, or false for no gate)');
    return undefined;
  }
  problems.unknownKeys(at, raw, APPROVAL_KEYS);
  const policy: ApprovalPolicy = { ...base, approvers: [...base.approvers] };
  if (raw.approvers !== undefined) {
    if (!Array.isArray(raw.approvers)) problems.add(`${at}.approvers`, raw.approvers, 'is not a list of approver names');
    else {
      policy.approvers = [];
      raw.approvers.forEach((approver, index) => {
        if (typeof approver !== 'string' || approver.trim() === '' || approver.length > 256 || CONTROL_CHARACTERS.test(approver)) {
          problems.add(`${at}.approvers[${index}]`, approver, 'is not an approver name (a non-empty single-line string)');
        } else if (policy.approvers.includes(approver)) problems.add(`${at}.approvers[${index}]`, approver, 'is listed twice');
        else policy.approvers.push(approver);
      });
    }
  }
  if (raw.required !== undefined) {
    if (!Number.isInteger(raw.required) || (raw.required as number) < 1 || (raw.required as number) > 100) {
      problems.add(`${at}.required`, raw.required, 'is not a whole number of approvals from 1 to 100');
    } else policy.required = raw.required as number;
  }
  if (raw.allowSelfApproval !== undefined && raw.forbidSelfApproval !== undefined) {
    problems.add(`${at}.forbidSelfApproval`, raw.forbidSelfApproval, 'contradicts allowSelfApproval; give one of them');
  } else if (raw.allowSelfApproval !== undefined) {
    if (typeof raw.allowSelfApproval !== 'boolean') problems.add(`${at}.allowSelfApproval`, raw.allowSelfApproval, 'is not true or false');
    else policy.forbidSelfApproval = !raw.allowSelfApproval;
  } else if (raw.forbidSelfApproval !== undefined) {
    if (typeof raw.forbidSelfApproval !== 'boolean') problems.add(`${at}.forbidSelfApproval`, raw.forbidSelfApproval, 'is not true or false');
    else policy.forbidSelfApproval = raw.forbidSelfApproval;
  }
  if (raw.timeout !== undefined) {
    const seconds = problems.duration(`${at}.timeout`, raw.timeout);
    if (seconds === 0) problems.add(`${at}.timeout`, raw.timeout, 'must be longer than 0s');
    else if (seconds !== undefined) policy.timeoutSeconds = seconds;
  }
  if (raw.identity !== undefined) {
    if (!IDENTITY_REQUIREMENTS.includes(raw.identity as IdentityRequirement)) problems.add(`${at}.identity`, raw.identity, 'is not "asserted" or "verified"');
    else policy.identity = raw.identity as IdentityRequirement;
  }
  if (policy.approvers.length > 0 && !policy.approvers.some((a) => a.startsWith(GROUP_PREFIX)) && policy.required > policy.approvers.length) {
    problems.add(`${at}.required`, policy.required, `is more than the ${policy.approvers.length} listed approver(s)`);
  }
  return policy;
}

class Problems {
  readonly list: string[] = [];

  line(path: string, value: unknown, explanation: string): string {
    return `${PIPELINE_FILE_NAME}: ${path}: ${value === undefined ? '' : `${quoteValue(value)} `}${explanation}`;
  }
  add(path: string, value: unknown, explanation: string): void {
    this.list.push(this.line(path, value, explanation));
  }
  any(): boolean {
    return this.list.length > 0;
  }
  count(): number {
    return this.list.length;
  }

  unknownKeys(at: string, mapping: Mapping, known: string[]): void {
    for (const key of Object.keys(mapping)) {
      if (!known.includes(key)) this.add(at ? `${at}.${key}` : key, undefined, `is not a known key (expected one of ${known.join(', ')})`);
    }
  }

  duration(path: string, raw: unknown): number | undefined {
    const seconds = typeof raw === 'string' ? parseDuration(raw) : raw === 0 ? 0 : undefined;
    if (seconds === undefined) this.add(path, raw, 'is not a duration (use 30s, 5m, 1h)');
    else if (seconds > MAX_DURATION_SECONDS) this.add(path, raw, 'is longer than 30 days');
    else return seconds;
    return undefined;
  }

  branch(path: string, raw: unknown): string | undefined {
    const ok = typeof raw === 'string' && isBranchName(raw);
    if (!ok) this.add(path, raw, 'is not a valid branch name');
    return ok ? (raw as string) : undefined;
  }

  resourceName(path: string, value: unknown, shown: unknown = value): string | undefined {
    if (typeof value === 'string' && value.length <= 253 && RESOURCE_NAME.test(value)) return value;
    this.add(path, shown, 'is not a valid Argo CD name (lowercase letters, digits, "-" and ".", at most 253)');
    return undefined;
  }

  /** A normalised path inside the repository, or undefined (and a problem) if it would leave it. */
  repositoryPath(path: string, raw: unknown, shown: unknown = raw): string | undefined {
    if (typeof raw !== 'string' || raw === '') {
      this.add(path, shown, 'is not a path');
      return undefined;
    }
    if (CONTROL_CHARACTERS.test(raw) || raw.includes('\\')) {
      this.add(path, shown, 'contains control characters or backslashes');
      return undefined;
    }
    if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw) || raw.startsWith('~')) {
      this.add(path, shown, 'is absolute; paths are relative to the repository root');
      return undefined;
    }
    const parts: string[] = [];
    for (const segment of raw.split('/')) {
      if (segment === '' || segment === '.') continue;
      if (segment === '..') {
        if (parts.length === 0) {
          this.add(path, shown, 'escapes the repository (".." above its root)');
          return undefined;
        }
        parts.pop();
      } else if (segment.toLowerCase() === '.git') {
        this.add(path, shown, 'points into .git');
        return undefined;
      } else parts.push(segment);
    }
    if (parts.length === 0) {
      this.add(path, shown, 'is the repository root; name a directory inside it');
      return undefined;
    }
    return parts.join('/');
  }
}

/** Refuses anchors, aliases and absurd nesting before the document is turned into values. */
function checkStructure(root: YamlNode | null): { path: string; explanation: string } | undefined {
  const walk = (node: unknown, depth: number): { path: string; explanation: string } | undefined => {
    if (depth > MAX_DEPTH) return { path: '(document)', explanation: `is nested deeper than ${MAX_DEPTH} levels` };
    if (isAlias(node)) return { path: '(document)', explanation: `uses an alias (*${node.source}); anchors and aliases are not allowed` };
    if (isScalar(node) || isCollection(node)) {
      if (node.anchor) return { path: '(document)', explanation: `defines an anchor (&${node.anchor}); anchors and aliases are not allowed` };
    }
    if (isCollection(node)) {
      for (const item of node.items) {
        const found = isPair(item) ? walk(item.key, depth + 1) ?? walk(item.value, depth + 1) : walk(item, depth + 1);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(root, 0);
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : value === undefined ? fallback : '\u0000';
}

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map);
}
