// A verified approval through the Web UI: the approver signs the decision with `promenade approve --key ... --print`
// and pastes the printed JSON into the Web UI's signal form (headless Chromium), at a gate that counts only
// verified decisions. The promotion reaches prod with the signer's identity, not the name in the JSON.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseWorkerConfig } from '../../src/config/worker-config/index.js';
import { createPromotionEnvironment, type PromotionEnvironment } from '../support/promotion-environment.js';
import { fingerprintOf, makeKey, type TestKey } from '../support/ssh-keys.js';
import { runInProcess } from '../cli/run-cli.js';

let env: PromotionEnvironment;
let browser: BrowserContext;
let dir: string;
let alice: TestKey;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promenade-chromium-'));
  alice = await makeKey(dir, 'alice');
  [env, browser] = await Promise.all([
    createPromotionEnvironment({
      pipeline: `apps:
  myapp:
    environments:
      - dev
      - staging
      - name: prod
        approval: { approvers: [alice@example.com], timeout: 10m, identity: verified }
        soak: 0s
`,
    }),
    chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: inject('chromiumPath'),
      headless: true,
      // The signed message is long: a tall window keeps the form's submit button on screen.
      viewport: { width: 1280, height: 1600 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
    }),
  ]);
  env.settings.workerConfig = parseWorkerConfig(`identity:\n  ssh:\n    allowedSigners: |\n      alice@example.com ${alice.publicKey} Alice\n`, { source: 'test', env: {} });
  await env.startWorker();
});
afterAll(async () => {
  await browser?.close();
  await env?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('Web UI verified approval', () => {
  it('a signed decision printed by promenade and pasted into the signal form opens a verified gate', async () => {
    const image = `nginx:3.1.${randomUUID().slice(0, 8)}`;
    const handle = await env.promote({ app: 'myapp', image }, `promote:myapp:${image}`);
    await env.waitForState(handle.workflowId, ['awaiting-approval'], 90_000);
    const printed = await runInProcess(['approve', handle.workflowId, '--key', alice.file, '--by', 'mallory', '--comment', 'signed in the Web UI', '--print'], env.workerEnv);
    expect(printed.code).toBe(0);
    const input = printed.stdout.trim();

    const page = await browser.newPage();
    try {
      await page.goto(`${inject('temporalUiUrl')}/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}/${(await handle.describe()).runId}/history`);
      await page.getByRole('button', { name: 'More Actions' }).click({ timeout: 30_000 });
      await page.getByText('Send a Signal', { exact: true }).filter({ visible: true }).click();
      const dialog = page.locator('form[method=dialog]').filter({ visible: true });
      await dialog.getByTestId('signal-select-button').click();
      await dialog.getByRole('option', { name: 'approve', exact: true }).click();
      const editor = dialog.locator('.cm-content');
      await editor.fill(input);
      expect(await editor.innerText()).toBe(input);
      // The first click leaves the editor, and the UI lays the long JSON out again under the pointer; if the form
      // is still open after that, the second click submits it.
      const submit = dialog.getByTestId('confirm-modal-button');
      await submit.click();
      await dialog.waitFor({ state: 'hidden', timeout: 5_000 }).catch(async () => {
        await submit.click();
        await dialog.waitFor({ state: 'hidden', timeout: 15_000 });
      });
    } catch (err) {
      const path = `/tmp/promenade-web-ui-verified-${Date.now()}.png`;
      await page.screenshot({ path, fullPage: true }).catch(() => {});
      throw new Error(`${(err as Error).message}\n(screenshot: ${path})`);
    } finally {
      await page.close();
    }

    const result = await handle.result();
    expect(result.state).toBe('promoted');
    // The JSON said mallory; the signature says alice.
    expect(result.status.approvals).toEqual([
      expect.objectContaining({ approver: 'alice@example.com', comment: 'signed in the Web UI', identity: 'verified', proof: expect.objectContaining({ mechanism: 'ssh', fingerprint: await fingerprintOf(alice) }) }),
    ]);
  });
});
