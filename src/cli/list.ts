// `promenade list`: promotions found through the visibility store by their search attributes, the same query
// a person types into the Web UI (PromotionApp = 'myapp' AND PromotionState = 'awaiting-approval').
import { PROMOTION_STATES } from '../workflows/promotion-status.js';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';
import { PROMOTION_APP_KEY, PROMOTION_IMAGE_KEY, PROMOTION_STATE_KEY } from '../workflows/search-attributes.js';
import { isNameLabel } from '../config/text-rules.js';
import { integerValue, parseCommandLine, UsageError } from './args.js';
import { EXIT } from './exit-codes.js';
import { cliTemporalSettings, withTemporal } from './temporal-session.js';
import { terminalText as t } from './terminal-text.js';


export function listQuery(filters: { app?: string; state?: string }): string {
  const clauses = [`WorkflowType = 'promotion'`];
  if (filters.app) clauses.push(`${SEARCH_ATTRIBUTES.app} = '${filters.app}'`);
  if (filters.state) clauses.push(`${SEARCH_ATTRIBUTES.state} = '${filters.state}'`);
  return clauses.join(' AND ');
}

export interface ListRow {
  workflowId: string;
  app?: string;
  image?: string;
  state?: string;
  status: string;
  started: string;
}

/** One line per promotion. Workflow IDs and search attributes are whatever their starter wrote: escaped. */
export function formatList(rows: ListRow[]): string {
  if (rows.length === 0) return 'no promotions match';
  const ids = rows.map((r) => t(r.workflowId));
  const width = Math.max(...ids.map((id) => id.length));
  return rows.map((r, i) => `${ids[i]!.padEnd(width)}  ${t(r.state ?? '?').padEnd(17)}  ${r.started}`).join('\n');
}

export async function listCommand(argv: string[]): Promise<number> {
  const { flags } = parseCommandLine(
    argv,
    { app: { type: 'string' }, state: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
    'promenade list [--app <app>] [--state <state>] [--limit <n>] [--json]',
  );
  // Validated against the same rules as the values written, which also keeps quotes out of the query.
  if (flags.app !== undefined && !isNameLabel(flags.app)) throw new UsageError(`--app "${flags.app}" is not an app name (lowercase letters, digits and "-")`);
  if (flags.state !== undefined && !(PROMOTION_STATES as readonly string[]).includes(flags.state)) throw new UsageError(`--state must be one of ${PROMOTION_STATES.join(', ')}; got "${flags.state}"`);
  const limit = flags.limit === undefined ? 50 : integerValue('--limit', flags.limit, 1, 1000);

  const settings = cliTemporalSettings();
  return withTemporal(settings, async (client) => {
    const rows: ListRow[] = [];
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
    else console.log(formatList(rows));
    return EXIT.ok;
  });
}
