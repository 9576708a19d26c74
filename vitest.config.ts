import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  plugins: [
    {
      // graphql 16 ships CommonJS (main) and ESM (module) builds without an exports map: Node loads the
      // CommonJS one for every library (@apollo/*, @graphql-inspector, @apollo/client), Vite would give
      // test code the ESM one, and schemas then cross "realms". Resolve it the way Node does.
      name: 'graphql-as-node-resolves-it',
      enforce: 'pre',
      resolveId: (id) => (id === 'graphql' || id.startsWith('graphql/') ? require.resolve(id) : null),
    },
  ],
  test: {
    include: ['packages/*/test/**/*.test.ts', 'subgraphs/*/test/**/*.test.ts', 'router/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['packages/testing/src/global-setup.ts'],
    pool: 'forks',
    // Generous: a test waits on conditions, never on the clock, so a busy machine only makes it slower.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Each file gets its own databases and ports, so files run in parallel safely.
    fileParallelism: true,
  },
});
