import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure and fast; `integration` starts real parts (broker, SQLite files,
// child PlantPulse processes, Mosquitto clients), so it gets longer timeouts and a build first.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 60_000,
          globalSetup: ['tests/helpers/global-setup.ts'],
          // Child processes and sockets: keep files apart so ports and CPU are not contended.
          fileParallelism: false,
        },
      },
    ],
  },
});
