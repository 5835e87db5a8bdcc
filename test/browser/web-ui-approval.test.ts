// The approver's Web UI path, for real: headless Chromium opens the dev server's Temporal Web UI, finds the
// promotion waiting for approval by its search attribute, sends the `approve` signal through the UI's own
// signal form, and the promotion reaches prod.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPromotionEnvironment, labPipeline, type PromotionEnvironment } from '../support/promotion-environment.js';

const PIPELINE = labPipeline({ approvers: ['alice'], required: 1, timeout: '10m', soak: '1s' });

let env: PromotionEnvironment;
let browser: BrowserContext;
let profile: string;

beforeAll(async () => {
  profile = await mkdtemp(join(tmpdir(), 'promenade-chromium-'));
  [env, browser] = await Promise.all([
    createPromotionEnvironment({ pipeline: PIPELINE }),
    // A fresh profile per run: playwright takes it as the persistent context's user data dir.
    chromium.launchPersistentContext(profile, {
      // Found or installed by the test setup (scripts/ensure-chromium.ts): PROMENADE_CHROMIUM, PATH or apt-get.
      executablePath: inject('chromiumPath'),
      headless: true,
      // No outside network here: keep Chromium from reaching for updates, sync and QUIC.
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
    }),
  ]);
  await env.startWorker();
});
afterAll(async () => {
  await browser?.close();
  await env?.close();
  await rm(profile, { recursive: true, force: true });
});

async function screenshotOnFailure<T>(page: Page, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const path = `/tmp/promenade-web-ui-${name}-${Date.now()}.png`;
    await page.screenshot({ path, fullPage: true }).catch(() => {});
    throw new Error(`${(err as Error).message}\n(screenshot: ${path})`);
  }
}

describe('Web UI approval', () => {
  it('an approver finds the waiting promotion and approves it with the signal form', async () => {
    const ui = inject('temporalUiUrl');
    expect(ui).toMatch(/^http:\/\//);
    const image = `nginx:3.0.${randomUUID().slice(0, 8)}`;
    const handle = await env.promote({ app: 'myapp', image }, `promote:myapp:${image}`);
    await env.waitForState(handle.workflowId, ['awaiting-approval']);

    const page = await browser.newPage();
    await screenshotOnFailure(page, 'approve', async () => {
      const query = `PromotionState="awaiting-approval" AND PromotionImage="${image}"`;
      await page.goto(`${ui}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
      await page.getByRole('link', { name: handle.workflowId }).first().click({ timeout: 30_000 });
      await page.waitForURL(/\/workflows\/.+\/.+\/history/, { timeout: 30_000 });
      // Without opening a query, the approver sees on the history page what is promoted and to which environments
      // (activity summaries) and the waiting gate (the gate timer's summary) in the event timeline.
      const visible = (text: string | RegExp) => page.getByText(text).filter({ visible: true }).count();
      await expect.poll(() => visible(`commit ${image} to staging`), { timeout: 20_000 }).toBeGreaterThan(0);
      await expect.poll(() => visible('wait until myapp-staging is synced and healthy'), { timeout: 20_000 }).toBeGreaterThan(0);
      await expect.poll(() => visible(/approval gate approval: wait \d+s for 1 approval\(s\) from alice/), { timeout: 20_000 }).toBeGreaterThan(0);
      await page.getByRole('button', { name: 'More Actions' }).click();
      await page.getByText('Send a Signal', { exact: true }).filter({ visible: true }).click();
      const dialog = page.locator('form[method=dialog]').filter({ visible: true });
      // The name menu is filled from the workflow's metadata query: our definitions, not a typed guess.
      await dialog.getByTestId('signal-select-button').click();
      await dialog.getByRole('option', { name: 'approve', exact: true }).click();
      const editor = dialog.locator('.cm-content');
      const input = JSON.stringify({ approver: 'alice', comment: 'approved in the Web UI' });
      await editor.fill(input);
      // CodeMirror may close brackets on its own; what the form will send is what the editor shows.
      expect(await editor.innerText()).toBe(input);
      await dialog.getByTestId('confirm-modal-button').click();
      await dialog.waitFor({ state: 'hidden', timeout: 15_000 });
    });

    const result = await handle.result();
    expect(result.state).toBe('promoted');
    expect(result.status.approvals).toMatchObject([{ approver: 'alice', comment: 'approved in the Web UI' }]);
    expect(env.deployedImage('prod')).toBe(image);

    await screenshotOnFailure(page, 'completed', async () => {
      await page.reload();
      await expect.poll(() => page.getByText('Completed', { exact: true }).filter({ visible: true }).count(), { timeout: 20_000 }).toBeGreaterThan(0);
    });
    await page.close();
  });
});
