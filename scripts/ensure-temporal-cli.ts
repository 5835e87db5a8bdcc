// The Temporal CLI (it carries the dev server and its Web UI): `promenade setup`'s lookup and one-time Go build
// (src/stack/temporal-cli.ts), which the local stack uses too; here it only meets the scripts' contract.
import { resolveTemporalCli, TemporalCliNotFoundError } from '../src/stack/temporal-cli.js';
import { ToolMissingError, type EnsureOptions } from './ensure-tool.js';

export async function ensure(options: EnsureOptions = {}): Promise<string> {
  try {
    return await resolveTemporalCli({ env: options.env, log: options.log });
  } catch (err) {
    if (err instanceof TemporalCliNotFoundError) throw new ToolMissingError(err.message);
    throw err;
  }
}
