// `node --import tsx scripts/ensure.ts <tool>...`: runs scripts/ensure-<tool>.ts for each tool named and prints
// `<tool>=<path>` per tool on stdout (progress on stderr). What .ci/run and `npm start` call; the test setup
// imports the same modules. A tool that cannot be had here stops it with one line and exit 1.
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ToolMissingError, type Ensure } from './ensure-tool.js';

export async function ensureTools(tools: string[], log: (line: string) => void = (line) => console.error(line)): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for (const tool of tools) {
    const module = new URL(`./ensure-${tool}.ts`, import.meta.url);
    if (!/^[a-z0-9][-a-z0-9]*$/.test(tool) || !(await access(module).then(() => true, () => false))) {
      throw new ToolMissingError(`no script for "${tool}": expected scripts/ensure-${tool}.ts`);
    }
    const { ensure } = (await import(fileURLToPath(module))) as { ensure: Ensure };
    found[tool] = await ensure({ log });
  }
  return found;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const tools = process.argv.slice(2);
  if (!tools.length) {
    console.error('usage: node --import tsx scripts/ensure.ts <tool>... (a tool per scripts/ensure-<tool>.ts)');
    process.exitCode = 2;
  } else {
    try {
      for (const [tool, path] of Object.entries(await ensureTools(tools))) console.log(`${tool}=${path}`);
    } catch (err) {
      if (!(err instanceof ToolMissingError)) throw err;
      console.error(`scripts/ensure: ${err.message}`);
      process.exitCode = 1;
    }
  }
}
