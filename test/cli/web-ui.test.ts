// One address for the Web UI wherever promenade prints it: the local stack's banner, `promote` and `status`
// (before, `promote` without TEMPORAL_ADDRESS linked to localhost while the stack and README said 127.0.0.1).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { temporalSettingsFromEnv } from '../../src/connection.js';
import { webUiBase, workflowLink } from '../../src/cli/web-ui.js';

describe('webUiBase', () => {
  it('a local dev server, however its address is spelled, is linked at 127.0.0.1', () => {
    const defaultAddress = String(temporalSettingsFromEnv({}).connectionOptions.address);
    expect(webUiBase(defaultAddress, 'default', {})).toBe('http://127.0.0.1:8233');
    expect(webUiBase('localhost:7233', 'default', {})).toBe('http://127.0.0.1:8233');
    expect(webUiBase('127.0.0.1:7300', 'default', {})).toBe('http://127.0.0.1:8300');
    expect(webUiBase('[::1]:7233', 'default', {})).toBe('http://[::1]:8233');
  });

  it('PROMENADE_UI_URL wins; Temporal Cloud has its own; anything else has no guess', () => {
    expect(webUiBase('localhost:7233', 'default', { PROMENADE_UI_URL: 'https://temporal.example.com/' })).toBe('https://temporal.example.com');
    expect(webUiBase('ns.acct.tmprl.cloud:7233', 'ns.acct', {})).toBe('https://cloud.temporal.io');
    expect(webUiBase('temporal.example.com:7233', 'default', {})).toBeUndefined();
  });

  it('links escape the workflow ID', () => {
    expect(workflowLink('http://127.0.0.1:8233', 'default', 'promote:myapp:nginx:1.25')).toBe('http://127.0.0.1:8233/namespaces/default/workflows/promote%3Amyapp%3Anginx%3A1.25');
  });

  it('the README points at the same address', async () => {
    const readme = await readFile(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    expect(readme).toContain('http://127.0.0.1:8233');
    expect(readme).not.toMatch(/localhost:8233/);
  });
});
