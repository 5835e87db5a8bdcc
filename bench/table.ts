// The one table the benchmark prints, and bench/RESULTS.md with the machine it ran on.
import { writeFile } from 'node:fs/promises';
import { cpus, totalmem, loadavg, release, platform } from 'node:os';

export interface Row {
  scenario: string;
  figure: string;
  target: string;
  /** undefined: nothing to meet, the figure is reported. */
  met: boolean | undefined;
  note?: string;
}

export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const verdict = (met: boolean | undefined) => (met === undefined ? 'n/a' : met ? 'yes' : 'NO');

export function renderTable(rows: Row[]): string {
  const header = ['scenario', 'figure', 'target', 'met?'];
  const cells = rows.map((r) => [r.scenario, r.figure, r.target, verdict(r.met)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export function machine(): string {
  const cpu = cpus();
  return [
    `- CPU: ${cpu.length} x ${cpu[0]?.model ?? 'unknown'}`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- OS: ${platform()} ${release()}`,
    `- node ${process.version}`,
    `- load average at the end of the run: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (the machine is shared)`,
  ].join('\n');
}

const md = (text: string) => text.replace(/\|/g, '\\|');

export async function writeResults(path: string, rows: Row[], context: { quick: boolean; startedAt: Date; seconds: number; notes: string[]; size: object }): Promise<void> {
  const table = [
    '| scenario | figure | target | met? |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${md(r.scenario)} | ${md(r.figure)} | ${md(r.target)} | ${verdict(r.met)} |`),
  ].join('\n');
  const notes = rows.filter((r) => r.note).map((r) => `- **${md(r.scenario)}**: ${r.note}`);
  const text = `# Benchmark results

\`npm run bench${context.quick ? ' -- --quick' : ''}\`, run ${context.startedAt.toISOString()}, ${Math.round(context.seconds)} s in all. Counts: \`${JSON.stringify(context.size)}\`.

${table}

## Notes per row

${notes.join('\n')}

${context.notes.join('\n\n')}

## Machine

${machine()}
`;
  await writeFile(path, text);
}
