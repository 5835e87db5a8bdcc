// No Docker engine runs here, so the compose file is checked against the code instead: the services, ports and
// variables it sets must be the ones the worker, the CLI and the dev server actually use.
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { settingsFromEnv } from '../../src/activities/index.js';
import { LEGACY_ENV } from '../../src/config/worker-config/repositories.js';
import { temporalSettingsFromEnv } from '../../src/connection.js';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes.js';
import { TASK_QUEUE } from '../../src/workflows/workflow-ids.js';
import { SEARCH_ATTRIBUTE_FLAGS, DYNAMIC_CONFIG_FLAGS } from '../../src/stack/dev-server.js';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: string[];
  profiles?: string[];
}
// merge: the simulator's worker takes the worker's environment through a YAML merge key, as compose reads it.
const compose = parse(await readFile(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as { services: Record<string, Service> };

/** What `docker compose` would pass with nothing set in the shell: `${X:-default}` becomes its default. */
function resolved(env: Record<string, string>, shell: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{(\w+):-([^}]*)\}/g, (_, name: string, fallback: string) => shell[name] ?? fallback)]),
  );
}

describe('docker-compose.yml', () => {
  const { temporal, worker } = compose.services;
  const sim = compose.services['argocd-sim'];
  const workerSim = compose.services['worker-sim'];

  it('runs the Temporal dev server with its UI and exactly the search attributes the workflow upserts', () => {
    expect(temporal.command?.slice(0, 2)).toEqual(['server', 'start-dev']);
    expect(temporal.command).toContain('0.0.0.0');
    // Unauthenticated: published on the host's loopback only.
    expect(temporal.ports).toEqual(['127.0.0.1:7233:7233', '127.0.0.1:8233:8233']);
    const flags = temporal.command!.filter((_, i, all) => all[i - 1] === '--search-attribute').flatMap((v) => ['--search-attribute', v]);
    expect(flags).toEqual(SEARCH_ATTRIBUTE_FLAGS);
    expect(Object.values(SEARCH_ATTRIBUTES).every((name) => temporal.command!.includes(`${name}=Keyword`))).toBe(true);
    const dynamic = temporal.command!.filter((_, i, all) => all[i - 1] === '--dynamic-config-value').flatMap((v) => ['--dynamic-config-value', v]);
    expect(dynamic).toEqual(DYNAMIC_CONFIG_FLAGS);
  });

  it('configures the worker through the same variables the bare worker reads', () => {
    expect(worker.build).toBe('.');
    expect(worker.depends_on).toContain('temporal');
    const env = resolved(worker.environment!, { ARGOCD_SERVER: 'argocd.example.com', ARGOCD_AUTH_TOKEN: 'token-from-shell', PROMENADE_REPOSITORY: 'https://git.example.com/gitops.git' });

    const temporalSettings = temporalSettingsFromEnv(env);
    expect(temporalSettings.connectionOptions.address).toBe('temporal:7233');
    expect(temporalSettings.namespace).toBe('default');
    expect(env.PROMENADE_TASK_QUEUE).toBe(TASK_QUEUE);

    const settings = settingsFromEnv(env);
    expect(settings.argocd.baseUrl).toBe('https://argocd.example.com');
    expect(settings.argocd.token).toBe('token-from-shell');
    expect(settings.defaultRepository).toBe('https://git.example.com/gitops.git');
    expect(Object.keys(env)).toEqual(expect.arrayContaining([LEGACY_ENV.username, LEGACY_ENV.password, 'TEMPORAL_API_KEY']));
    // No secret is written into the file itself: every credential comes from the shell.
    for (const name of ['ARGOCD_AUTH_TOKEN', LEGACY_ENV.password, 'TEMPORAL_API_KEY']) expect(worker.environment![name]).toMatch(/^\$\{\w+:-\}$/);
  });

  it('talks TLS to Argo CD unless the shell says otherwise: no plaintext default', () => {
    expect(worker.environment!.ARGOCD_PLAINTEXT).toBe('${ARGOCD_PLAINTEXT:-}');
    const env = resolved(worker.environment!, { ARGOCD_SERVER: 'argocd.example.com', ARGOCD_AUTH_TOKEN: 't' });
    expect(settingsFromEnv(env).argocd.baseUrl).toMatch(/^https:/);
    // Only the simulator's own worker sets plain HTTP, explicitly, for the simulator's name on the compose network.
    const plaintext = Object.entries(compose.services).filter(([, s]) => s.environment?.ARGOCD_PLAINTEXT && !s.environment.ARGOCD_PLAINTEXT.startsWith('${'));
    expect(plaintext.map(([name]) => name)).toEqual(['worker-sim']);
    expect(workerSim.environment!.ARGOCD_PLAINTEXT_HOSTS).toBe('argocd-sim');
    expect(worker.environment!.ARGOCD_PLAINTEXT_HOSTS).toBe('${ARGOCD_PLAINTEXT_HOSTS:-}');
  });

  it('the simulator profile runs the simulator and a worker pointed at it', () => {
    expect(sim.profiles).toEqual(['simulator']);
    expect(workerSim.profiles).toEqual(['simulator']);
    expect(worker.profiles).toEqual(['argocd']);
    expect(sim.command).toEqual(expect.arrayContaining(['argocd-sim', '--port', '8090', '--host', '0.0.0.0']));
    expect(sim.ports).toEqual(['127.0.0.1:8090:8090']);
    const env = resolved(workerSim.environment!, { ARGOCD_AUTH_TOKEN: 't' });
    expect(settingsFromEnv(env).argocd.baseUrl).toBe('http://argocd-sim:8090');
    // The client allows plain HTTP off loopback only to a host named for it: this one, and nothing else.
    expect(env.ARGOCD_PLAINTEXT_HOSTS).toBe('argocd-sim');
    expect(() => settingsFromEnv({ ...env, ARGOCD_PLAINTEXT_HOSTS: '' })).toThrow(/allowed only for loopback or a host listed in ARGOCD_PLAINTEXT_HOSTS/);
    // Everything else as the worker has it.
    const { ARGOCD_SERVER: _server, ARGOCD_PLAINTEXT: _plain, ARGOCD_PLAINTEXT_HOSTS: _hosts, ...rest } = workerSim.environment!;
    const { ARGOCD_SERVER: _s, ARGOCD_PLAINTEXT: _p, ARGOCD_PLAINTEXT_HOSTS: _h, ...workerRest } = worker.environment!;
    expect(rest).toEqual(workerRest);
  });

  it('publishes every port on loopback only', () => {
    for (const [name, service] of Object.entries(compose.services)) for (const port of service.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
  });
});
