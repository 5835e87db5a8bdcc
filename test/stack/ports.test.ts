import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, isPortFree, PortInUseError, requirePortFree } from '../../src/stack/ports.js';

describe('ports', () => {
  it('says which port is taken, for what, and how to move it', async () => {
    const server = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      expect(await isPortFree(port)).toBe(false);
      const err = await requirePortFree(port, 'the Temporal Web UI', '--ui-port').catch((e) => e);
      expect(err).toBeInstanceOf(PortInUseError);
      expect(err.message).toBe(`Port ${port} for the Temporal Web UI is already in use. Stop whatever listens there, or choose another port with --ui-port.`);
    } finally {
      server.close();
    }
    expect(await isPortFree(port)).toBe(true);
  });
});
