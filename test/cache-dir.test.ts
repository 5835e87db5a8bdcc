import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { promenadeCacheDir } from '../src/cache-dir.js';

describe('promenadeCacheDir', () => {
  it('prefers PROMENADE_CACHE_DIR, then the XDG cache, then ~/.cache', () => {
    expect(promenadeCacheDir({ PROMENADE_CACHE_DIR: '/srv/cache', XDG_CACHE_HOME: '/xdg' })).toBe('/srv/cache');
    expect(promenadeCacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/promenade');
    expect(promenadeCacheDir({})).toBe(join(homedir(), '.cache', 'promenade'));
  });

  it('reads an empty variable as unset, never as a path relative to the working directory', () => {
    expect(promenadeCacheDir({ PROMENADE_CACHE_DIR: '', XDG_CACHE_HOME: '' })).toBe(join(homedir(), '.cache', 'promenade'));
  });
});
