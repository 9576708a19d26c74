import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const require = createRequire(import.meta.url);

/**
 * The files that take longest, mostly waiting on child processes (npm start, killed and restarted
 * services, replicas, the compiled runtime), a browser or Kafka group timeouts. They start first, so
 * the short files fill the other workers around them instead of one long file ending the run alone.
 */
const LONGEST_FIRST = [
  'packages/devstack/test/devstack.test.ts',
  'bench/test/reads.test.ts',
  'packages/devstack/test/supervisor.test.ts',
  'test/kill-restart.test.ts',
  'examples/web-shop/test/shop.e2e.test.ts',
  'test/replicas.test.ts',
  'test/runtime-image.test.ts',
  'test/overload.test.ts',
  'test/payment-races.test.ts',
  'bench/test/search.test.ts',
  'packages/events/test/background-join.test.ts',
];

class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const index = LONGEST_FIRST.findIndex((file) => spec.moduleId.endsWith(`/${file}`));
      return index < 0 ? LONGEST_FIRST.length : index;
    };
    const sorted = await super.sort(files);
    return sorted.map((spec, order) => ({ spec, order })).sort((a, b) => rank(a.spec) - rank(b.spec) || a.order - b.order).map(({ spec }) => spec);
  }
}

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
    include: ['packages/*/test/**/*.test.ts', 'subgraphs/*/test/**/*.test.ts', 'router/test/**/*.test.ts', 'bench/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['packages/testing/src/global-setup.ts'],
    pool: 'forks',
    // Vitest's default (one worker less than the cores) suits CPU-bound tests; these mostly wait on
    // Postgres, child processes and events, so two files at once on a two-core machine cut the run's
    // wall time by minutes. `npx vitest run --maxWorkers=1` runs one file at a time.
    maxWorkers: Math.max(2, availableParallelism()),
    sequence: { sequencer: LongestFirstSequencer },
    // Generous: a test waits on conditions, never on the clock, so a busy machine only makes it slower.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Each file gets its own databases and ports, so files run in parallel safely.
    fileParallelism: true,
  },
});
