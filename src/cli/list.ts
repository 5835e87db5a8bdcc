// `promenade list`: promotions found through the visibility store by their search attributes, the same query
// a person types into the Web UI (PromotionApp = 'myapp' AND PromotionState = 'awaiting-approval').
import { PROMOTION_STATES } from '../workflows/promotion-status.js';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';
import { PROMOTION_APP_KEY, PROMOTION_IMAGE_KEY, PROMOTION_STATE_KEY } from '../workflows/search-attributes.js';
import { isNameLabel } from '../config/text-rules.js';
import { parseFlags, UsageError } from './args.js';
import { EXIT } from './exit-codes.js';
import { cliTemporalSettings, withTemporal } from './temporal-session.js';


export function listQuery(filters: { app?: string; state?: string }): string {
  const clauses = [`WorkflowType = 'promotion'`];
  if (filters.app) clauses.push(`${SEARCH_ATTRIBUTES.app} = '${filters.app}'`);
  if (filters.state) clauses.push(`${SEARCH_ATTRIBUTES.state} = '${filters.state}'`);
  return clauses.join(' AND ');
}

export async function listCommand(argv: string[]): Promise<number> {
  const { flags, positional } = parseFlags(argv, { app: { type: 'string' }, state: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } });
  if (positional.length) throw new UsageError(`unexpected argument "${positional[0]}" (usage: promenade list [--app <app>] [--state <state>] [--limit <n>] [--json])`);
  // Validated against the same rules as the values written, which also keeps quotes out of the query.
  if (flags.app !== undefined && !isNameLabel(flags.app)) throw new UsageError(`--app "${flags.app}" is not an app name (lowercase letters, digits and "-")`);
  if (flags.state !== undefined && !(PROMOTION_STATES as readonly string[]).includes(flags.state)) throw new UsageError(`--state must be one of ${PROMOTION_STATES.join(', ')}; got "${flags.state}"`);
  const limit = flags.limit === undefined ? 50 : Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be a whole number from 1 to 1000, got "${flags.limit}"`);

  const settings = cliTemporalSettings();
  return withTemporal(settings, async (client) => {
    const rows: Array<{ workflowId: string; app?: string; image?: string; state?: string; status: string; started: string }> = [];
    for await (const execution of client.workflow.list({ query: listQuery({ app: flags.app, state: flags.state }) })) {
      const attrs = execution.typedSearchAttributes;
      rows.push({
        workflowId: execution.workflowId,
        app: attrs.get(PROMOTION_APP_KEY),
        image: attrs.get(PROMOTION_IMAGE_KEY),
        state: attrs.get(PROMOTION_STATE_KEY),
        status: execution.status.name.toLowerCase(),
        started: execution.startTime.toISOString(),
      });
      if (rows.length >= limit) break;
    }
    if (flags.json) console.log(JSON.stringify(rows));
    else if (rows.length === 0) console.log('no promotions match');
    else {
      const width = Math.max(...rows.map((r) => r.workflowId.length));
      for (const r of rows) console.log(`${r.workflowId.padEnd(width)}  ${(r.state ?? '?').padEnd(17)}  ${r.started}`);
    }
    return EXIT.ok;
  });
}
