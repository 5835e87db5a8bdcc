import { describe, expect, it } from 'vitest';
import { temporalSettingsFromEnv } from '../src/connection.js';

describe('temporalSettingsFromEnv', () => {
  it("defaults to Temporal's own localhost:7233 when TEMPORAL_ADDRESS is unset", () => {
    expect(temporalSettingsFromEnv({ HOME: '/nonexistent' }).connectionOptions.address).toBe('localhost:7233');
    expect(temporalSettingsFromEnv({ HOME: '/nonexistent', TEMPORAL_ADDRESS: 'temporal.example.com:7233' }).connectionOptions.address).toBe('temporal.example.com:7233');
  });
});
