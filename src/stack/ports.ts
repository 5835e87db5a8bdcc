// A taken port is the most common way a local stack fails to start; say which one and how to move it.
import { createServer } from 'node:net';

export class PortInUseError extends Error {
  constructor(readonly port: number, readonly what: string, readonly setting: string) {
    super(`Port ${port} for ${what} is already in use. Stop whatever listens there, or choose another port with ${setting}.`);
    this.name = 'PortInUseError';
  }
}

export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function requirePortFree(port: number, what: string, setting: string, host = '127.0.0.1'): Promise<void> {
  if (!(await isPortFree(port, host))) throw new PortInUseError(port, what, setting);
}

/** An ephemeral port that was free a moment ago (tests only: there is a small window for a race). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
