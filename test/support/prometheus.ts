// A real Prometheus (Debian's package, found or installed by scripts/ensure-prometheus.ts) scraping a small metrics
// endpoint whose error rate the test sets: every scrape adds 100 requests to myapp_http_requests_total, the given
// share of them with code 500.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensure } from '../../scripts/ensure-prometheus.js';

export const ERROR_RATE_QUERY = 'sum(rate(myapp_http_requests_total{code="500"}[5s])) / sum(rate(myapp_http_requests_total[5s]))';

export interface PrometheusLab {
  url: string;
  /** Share (0..1) of the requests counted from the next scrape on that fail. */
  setErrorRate(rate: number): void;
  /** Resolves once the error-rate query returns one sample at or above `min` (and at most `max`). */
  waitForErrorRate(min: number, max: number, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

export async function startPrometheusLab(): Promise<PrometheusLab> {
  const binary = await ensure({ log: (line) => console.error(line) });
  const dir = await mkdtemp(join(tmpdir(), 'promenade-prometheus-'));
  let errorRate = 0;
  const counts = { ok: 0, failed: 0 };
  const metrics: Server = createServer((req, res) => {
    const failed = Math.round(100 * errorRate);
    counts.failed += failed;
    counts.ok += 100 - failed;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(`# TYPE myapp_http_requests_total counter\nmyapp_http_requests_total{code="200"} ${counts.ok}\nmyapp_http_requests_total{code="500"} ${counts.failed}\n`);
  });
  await new Promise<void>((r) => metrics.listen(0, '127.0.0.1', r));
  const target = `127.0.0.1:${(metrics.address() as AddressInfo).port}`;
  await writeFile(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: myapp\n    static_configs: [{ targets: ['${target}'] }]\n`,
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    binary,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', 'ignore', process.env.PROMENADE_TEST_VERBOSE ? 'inherit' : 'ignore'] },
  );
  const query = async (): Promise<number[] | undefined> => {
    try {
      const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: ERROR_RATE_QUERY })}`);
      const body = (await res.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
      return body.data?.result?.map((r) => Number(r.value[1]));
    } catch {
      return undefined;
    }
  };
  const lab: PrometheusLab = {
    url,
    setErrorRate(rate) {
      errorRate = rate;
    },
    async waitForErrorRate(min, max, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const values = await query();
        if (values?.length === 1 && values[0]! >= min && values[0]! <= max) return values[0]!;
        if (Date.now() > deadline) throw new Error(`Prometheus error rate not within [${min}, ${max}] after ${timeoutMs} ms: ${JSON.stringify(values)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async close() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
      metrics.closeAllConnections();
      await new Promise((r) => metrics.close(r));
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await lab.waitForErrorRate(0, 0, 60_000);
  } catch (err) {
    await lab.close();
    throw err;
  }
  return lab;
}
