import { createServer } from 'node:net';

/**
 * A TCP port that is free right now: listen on port 0 (all interfaces, as the broker does by
 * default), read the port the kernel chose, close. The crash test reuses it for every restart so
 * that the publishers' reconnect loop finds the restarted broker at the same address.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('could not read the port of a listening socket');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}
