import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CompositionError, composeSupergraph } from '../router/src/compose';
import { apiSchemaOf } from './api-schema';
import { checkSchemaChanges, formatSchemaChanges } from './check';

/**
 * `npm run schema:check [-- --base <git-ref>]`: composes the supergraph from the working tree and
 * compares its API schema with the committed supergraph of the base (origin/main, else main, else
 * HEAD). Exits 1 on a breaking change, unless it removes something already deprecated in the base.
 */
const SUPERGRAPH_IN_REPO = 'schema/supergraph.graphql';
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });

function refExists(ref: string): boolean {
  try {
    git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`);
    return true;
  } catch {
    return false;
  }
}

function defaultBase(): string | undefined {
  return ['origin/main', 'main', 'HEAD'].find(refExists);
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { base: { type: 'string' } } });
  const base = values.base ?? defaultBase();
  if (!base) {
    console.log('schema:check: no git history to compare with (no origin/main, main or HEAD); nothing to check.');
    return 0;
  }
  if (values.base && !refExists(base)) {
    console.error(`schema:check: unknown git ref "${base}".`);
    return 1;
  }

  let baseSdl: string;
  try {
    baseSdl = git('show', `${base}:${SUPERGRAPH_IN_REPO}`);
  } catch {
    console.log(`schema:check: ${base} has no ${SUPERGRAPH_IN_REPO}; nothing to compare with, passing.`);
    return 0;
  }

  let currentSdl: string;
  try {
    currentSdl = composeSupergraph().supergraphSdl;
  } catch (error) {
    console.error(error instanceof CompositionError ? error.message : error);
    return 1;
  }

  const { changes, blocking } = await checkSchemaChanges(apiSchemaOf(baseSdl), apiSchemaOf(currentSdl));
  console.log(`schema:check: the composed API schema against ${SUPERGRAPH_IN_REPO} at ${base}`);
  if (changes.length === 0) {
    console.log('  no changes');
  } else {
    for (const line of formatSchemaChanges(changes)) console.log(line);
  }
  const count = (predicate: (change: (typeof changes)[number]) => boolean) => changes.filter(predicate).length;
  console.log(
    `${changes.length} changes: ${count((c) => c.level === 'BREAKING' && !c.intended)} breaking, ` +
      `${count((c) => c.intended)} intended removals, ${count((c) => c.level === 'DANGEROUS')} dangerous, ` +
      `${count((c) => c.level === 'NON_BREAKING')} safe.`,
  );
  if (blocking.length > 0) {
    console.error(
      'schema:check failed: breaking changes for clients. Deprecate first (`@deprecated(reason: "…")`), ship, ' +
        'and remove in a later change once clients have moved; see docs/schema-conventions.md.',
    );
    return 1;
  }
  return 0;
}

process.exitCode = await main();
