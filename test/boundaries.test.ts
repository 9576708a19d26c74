/*
 * The import boundaries (.dependency-cruiser.cjs, run by `npm run lint`) fail on a planted import:
 * from one subgraph into another, from the kit (packages/) into a subgraph by package name and by
 * relative path. The planted files live for the duration of the test only; a clean file passes.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@bazaar/topology';

const depcruise = path.join(REPO_ROOT, 'node_modules/.bin/depcruise');
const planted: string[] = [];

function plant(relative: string, source: string): string {
  const file = path.join(REPO_ROOT, relative.replace('NAME', `planted-${randomUUID().slice(0, 8)}`));
  writeFileSync(file, source);
  planted.push(file);
  return path.relative(REPO_ROOT, file);
}

/** Runs the boundary check as `npm run lint:boundaries` does, on the given files and their direct imports. */
function checkBoundaries(files: string[]): { status: number | null; output: string } {
  const result = spawnSync(depcruise, ['--config', '.dependency-cruiser.cjs', '--max-depth', '1', ...files], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

afterAll(() => {
  for (const file of planted) rmSync(file, { force: true });
});

describe('the import boundaries', () => {
  it('fail the lint on an import from one subgraph into another, or from packages/ into a subgraph', () => {
    const crossSubgraph = plant('subgraphs/cart/src/NAME.ts', "export { service } from '@bazaar/books';\n");
    const kitByName = plant('packages/events/src/NAME.ts', "export { service } from '@bazaar/users';\n");
    const kitByPath = plant('packages/testing/src/NAME.ts', "export { service } from '../../../subgraphs/orders/src/index';\n");
    const { status, output } = checkBoundaries([crossSubgraph, kitByName, kitByPath]);
    console.log(`planted imports, boundary check exit code ${status}:\n${output}`);
    expect(status).not.toBe(0);
    expect(output).toContain(`error subgraph-to-other-subgraph: ${crossSubgraph} → subgraphs/books/src/index.ts`);
    expect(output).toContain(`error kit-to-domain: ${kitByName} → subgraphs/users/src/index.ts`);
    expect(output).toContain(`error kit-to-domain: ${kitByPath} → subgraphs/orders/src/index.ts`);
    expect(output).toContain(`error relative-path-into-another-workspace: ${kitByPath} → subgraphs/orders/src/index.ts`);
  });

  it('pass the same files once the imports go through what is allowed', () => {
    const allowed = plant('subgraphs/cart/src/NAME.ts', "export { ListingCreated } from '@bazaar/contracts/books';\nexport { SUBGRAPHS } from '@bazaar/topology';\n");
    const { status, output } = checkBoundaries([allowed]);
    expect(status, output).toBe(0);
  });
});
