// `promenade <command>`: the entry point people and CI run.
import { runCommand } from './commands.js';

process.exitCode = await runCommand(process.argv.slice(2));
