// Clears the figures of an earlier run before the suite, prints the table after it.
import { rmSync } from 'node:fs';
import { FIGURES_DIR, figuresTable } from './figures.js';

export default function setup() {
  rmSync(FIGURES_DIR, { recursive: true, force: true });
  const started = Date.now();
  return () => {
    console.log(`\nFault suite figures (${Math.round((Date.now() - started) / 1000)} s):\n${figuresTable()}\n`);
  };
}
