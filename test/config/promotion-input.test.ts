import { describe, expect, it } from 'vitest';
import { InvalidInputError, validatePromotionInput } from '../../src/config/promotion-input.js';

const good = { app: 'myapp', image: 'nginx:1.21', requestedBy: 'alice' };

describe('validatePromotionInput', () => {
  it('accepts a minimal and a full input', () => {
    expect(validatePromotionInput(good)).toEqual(good);
    const full = { ...good, metadata: { 'ci.run': 'https://ci/1', sourceCommit: 'abc' }, repository: 'https://git.example.com/org/gitops.git' };
    expect(validatePromotionInput(full)).toEqual(full);
    expect(validatePromotionInput({ ...good, repository: 'git@github.com:org/gitops.git' }).repository).toBe('git@github.com:org/gitops.git');
    expect(validatePromotionInput({ ...good, repository: '/srv/git/gitops.git' }).repository).toBe('/srv/git/gitops.git');
    expect(validatePromotionInput({ ...good, allowOlder: true })).toEqual({ ...good, allowOlder: true });
    expect(validatePromotionInput({ ...good, allowOlder: false })).toEqual(good);
  });

  it('names the field, the value and the rule', () => {
    expect(() => validatePromotionInput({ ...good, image: 'Foo:1' })).toThrow(
      'input.image: "Foo:1" is not a valid OCI image reference (repository must be lowercase)',
    );
    try {
      validatePromotionInput({ ...good, app: 'My_App' });
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field).toBe('input.app');
      expect((error as InvalidInputError).type).toBe('InvalidInput');
      expect((error as InvalidInputError).nonRetryable).toBe(true);
    }
  });

  const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));
  it.each<[string, unknown, string]>([
    ['not an object', 'myapp', 'input:'],
    ['null', null, 'input:'],
    ['an array', [good], 'input:'],
    ['unknown key', { ...good, extra: 1 }, 'input.extra'],
    ['missing app', { image: 'nginx:1', requestedBy: 'a' }, 'input.app'],
    ['numeric app', { ...good, app: 42 }, 'input.app'],
    ['uppercase app', { ...good, app: 'MyApp' }, 'input.app'],
    ['app with dot', { ...good, app: 'my.app' }, 'input.app'],
    ['app ending in dash', { ...good, app: 'myapp-' }, 'input.app'],
    ['app too long', { ...good, app: 'a'.repeat(54) }, 'input.app'],
    ['app with shell', { ...good, app: '$(rm -rf /)' }, 'input.app'],
    ['missing image', { app: 'a', requestedBy: 'a' }, 'input.image'],
    ['empty image', { ...good, image: '' }, 'input.image'],
    ['image with space', { ...good, image: 'nginx 1.2' }, 'input.image'],
    ['image with newline', { ...good, image: 'nginx:1\nPromenade-Stage: x' }, 'input.image'],
    ['image with $()', { ...good, image: 'nginx:$(id)' }, 'input.image'],
    ['image too long', { ...good, image: `${'a'.repeat(256)}:1` }, 'input.image'],
    ['image with ..', { ...good, image: 'reg.io/../x:1' }, 'input.image'],
    ['requestedBy missing', { app: 'a', image: 'nginx:1' }, 'input.requestedBy'],
    ['requestedBy empty', { ...good, requestedBy: '  ' }, 'input.requestedBy'],
    ['requestedBy too long', { ...good, requestedBy: 'a'.repeat(257) }, 'input.requestedBy'],
    ['requestedBy control char', { ...good, requestedBy: 'alice\nApproved-by: bob' }, 'input.requestedBy'],
    ['metadata not a map', { ...good, metadata: ['a'] }, 'input.metadata'],
    ['metadata number value', { ...good, metadata: { run: 1 } }, 'input.metadata.run'],
    ['metadata bad key', { ...good, metadata: { 'bad key': 'v' } }, 'input.metadata.bad key'],
    ['metadata key with colon', { ...good, metadata: { 'Approved-by:': 'v' } }, 'input.metadata.Approved-by:'],
    ['metadata newline value', { ...good, metadata: { run: 'a\nApproved-by: mallory' } }, 'input.metadata.run'],
    ['metadata value too long', { ...good, metadata: { run: 'x'.repeat(1025) } }, 'input.metadata.run'],
    ['metadata too many', { ...good, metadata: many }, 'input.metadata'],
    ['allowOlder not a boolean', { ...good, allowOlder: 'yes' }, 'input.allowOlder'],
    ['repository with credentials', { ...good, repository: 'https://user:pass@git.example.com/x.git' }, 'input.repository'],
    ['repository with token user', { ...good, repository: 'https://ghp_token@github.com/x.git' }, 'input.repository'],
    ['repository ext transport', { ...good, repository: 'ext::sh -c touch% /tmp/pwned' }, 'input.repository'],
    ['repository option injection', { ...good, repository: '--upload-pack=touch /tmp/x' }, 'input.repository'],
    ['repository not a string', { ...good, repository: 5 }, 'input.repository'],
  ])('refuses %s', (_name, raw, field) => {
    expect(() => validatePromotionInput(raw)).toThrow(InvalidInputError);
    expect(() => validatePromotionInput(raw)).toThrow(`${field}`);
  });

  it('never echoes credentials of a refused repository URL', () => {
    try {
      validatePromotionInput({ ...good, repository: 'https://user:s3cret@git.example.com/x.git' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('s3cret');
      expect((error as Error).message).toContain('credentials');
    }
  });
});
