// Each scenario of the fault suite records what it did and what it found; figures-setup.ts prints them as the
// table the README's "Reliability" section quotes.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FIGURES_DIR = process.env.PROMENADE_FAULT_FIGURES ?? join(tmpdir(), 'promenade-fault-figures');

export interface ScenarioFigures {
  /** Sort key and title, e.g. "1 Worker crashes". */
  scenario: string;
  promotions: number;
  /** What was injected, counted: e.g. { 'worker SIGKILL': 5 }. */
  faults: Record<string, number>;
  /** Final states, counted: e.g. { promoted: 17, 'rolled-back': 3 }. */
  outcomes: Record<string, number>;
  /** Stage commits found more than once in git. */
  duplicates: number;
  /** Changes (ours or another writer's) missing from the branch at the end. */
  lostUpdates: number;
  notes?: string;
  durationMs: number;
}

export function recordFigures(figures: ScenarioFigures): void {
  mkdirSync(FIGURES_DIR, { recursive: true });
  const slug = figures.scenario.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  writeFileSync(join(FIGURES_DIR, `${slug}.json`), JSON.stringify(figures, null, 2));
}

export function count<T extends string>(values: T[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

const list = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || '-';

export function figuresTable(): string {
  let files: string[] = [];
  try {
    files = readdirSync(FIGURES_DIR).filter((f) => f.endsWith('.json'));
  } catch {
    return '(no figures recorded)';
  }
  const rows = files
    .map((f) => JSON.parse(readFileSync(join(FIGURES_DIR, f), 'utf8')) as ScenarioFigures)
    .sort((a, b) => a.scenario.localeCompare(b.scenario, undefined, { numeric: true }));
  const lines = [
    '| scenario | promotions | faults injected | outcomes | duplicates | lost updates | time |',
    '|---|---:|---|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.scenario}${r.notes ? ` (${r.notes})` : ''} | ${r.promotions} | ${list(r.faults)} | ${list(r.outcomes)} | ${r.duplicates} | ${r.lostUpdates} | ${Math.round(r.durationMs / 1000)} s |`),
  ];
  return lines.join('\n');
}
