// Run as its own process by commit.test.ts: commits images for a range of apps, all at once, and prints results.
import { commitChange } from '../../src/git/commit.js';

const [url, cacheDir, from, to, tag] = process.argv.slice(2) as [string, string, string, string, string];
const results = await Promise.all(
  Array.from({ length: Number(to) - Number(from) }, (_, i) => {
    const app = `app${Number(from) + i}`;
    return commitChange({
      repository: url,
      branch: 'main',
      promotionId: `${app}-${tag}`,
      stage: 'dev-sync',
      setter: { kind: 'container', file: `dev/${app}/deployment.yaml`, container: app },
      image: `nginx:${tag}`,
      message: `Promote ${app} to nginx:${tag} in dev`,
      workspace: { cacheDir },
    });
  }),
);
console.log(JSON.stringify(results));
