import { describe, expect, it } from 'vitest';
import { ImageReferenceError, parseImageReference } from '../../src/config/image-reference.js';

const SHA = 'a'.repeat(64);

describe('parseImageReference', () => {
  it.each([
    ['nginx:1.19', { name: 'nginx', tag: '1.19' }],
    ['nginx', { name: 'nginx' }],
    ['ghcr.io/acme/my-app:v1.2.3', { name: 'ghcr.io/acme/my-app', tag: 'v1.2.3' }],
    ['localhost:5000/myapp:latest', { name: 'localhost:5000/myapp', tag: 'latest' }],
    [`registry.example.com:443/team/app@sha256:${SHA}`, { name: 'registry.example.com:443/team/app', digest: `sha256:${SHA}` }],
    [`app:1.0@sha256:${SHA}`, { name: 'app', tag: '1.0', digest: `sha256:${SHA}` }],
    ['a__b/c--d/e.f_g:X_y-1', { name: 'a__b/c--d/e.f_g', tag: 'X_y-1' }],
    ['[::1]:5000/app:1', { name: '[::1]:5000/app', tag: '1' }],
  ])('accepts %s', (reference, expected) => {
    expect(parseImageReference(reference)).toEqual({ ...expected, reference });
  });

  it.each([
    ['', 'empty'],
    ['Foo:1', 'repository must be lowercase'],
    ['nginx:1.19 ', 'whitespace'],
    ['nginx:1.19\nrm -rf /', 'whitespace'],
    ['$(curl evil):1', 'whitespace'],
    ['$(id):1', 'path component'],
    ['nginx:`id`', 'tag'],
    ['ghcr.io/../etc:1', '".."'],
    ['nginx::1', 'path component'],
    ['nginx:.bad', 'tag'],
    [`nginx:${'t'.repeat(129)}`, 'tag'],
    [`${'a'.repeat(256)}:1`, 'longer than 255'],
    ['nginx@sha256:abc', 'sha256 digest must be 64'],
    [`nginx@sha256:${'A'.repeat(64)}`, 'sha256 digest'],
    ['nginx@md5', 'digest'],
    ['ghcr.io//app', 'empty path component'],
    ['-app:1', 'path component'],
    ['app-:1', 'path component'],
    ['host:99999/app', 'port'],
    ['bad_host.com/app', 'not a host name'],
  ])('refuses %j', (reference, reason) => {
    let error: unknown;
    try {
      parseImageReference(reference);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ImageReferenceError);
    expect((error as Error).message).toContain(reason);
  });
});
