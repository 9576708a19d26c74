import { Kind, Lexer, print, Source, TokenKind, validate, type DefinitionNode } from 'graphql';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_QUERY_LIMITS,
  fieldResolutionCount,
  operationCost,
  queryLimitProtection,
} from '@bazaar/service';
import { postToSubgraph, startTestStack, TEST_SUBGRAPH_SECRET, type TestStack } from '@bazaar/testing';
import { committedApiSchema, loadOperationFiles } from '../schema/api-schema';

const limits = DEFAULT_QUERY_LIMITS;

describe('the real client operations under the limits (schema/operations)', () => {
  const schema = committedApiSchema();
  const files = loadOperationFiles();
  const fragments = files.filter((file) => file.operations.length === 0).flatMap((file) => file.document.definitions);
  // Limits of 0 make every rule report what it found.
  const measuring = queryLimitProtection({ ...limits, maxDepth: 0, maxAliases: 0, maxDirectives: 0 });

  const measured = files
    .filter((file) => file.operations.length > 0)
    .map((file) => {
      const used = (definition: DefinitionNode) => definition.kind === Kind.FRAGMENT_DEFINITION && file.source.includes(`...${definition.name.value}`);
      const document = { ...file.document, definitions: [...file.document.definitions, ...fragments.filter(used)] };
      const operation = file.operations[0]!;
      const lexer = new Lexer(new Source(print(document)));
      let tokens = 0;
      while (lexer.advance().kind !== TokenKind.EOF) tokens += 1;
      const found = (limit: string) => {
        const error = validate(schema, document, measuring.validationRules).find((candidate) => candidate.extensions.limit === limit);
        return Number(/found (\d+)/.exec(error?.message ?? '')?.[1] ?? 0);
      };
      const pages = (operation.variableDefinitions ?? []).some((definition) => definition.variable.name.value === 'first');
      return {
        operation: operation.name!.value,
        tokens,
        depth: found('depth'),
        aliases: found('aliases'),
        directives: found('directives'),
        cost: operationCost(schema, document, operation, {}, limits),
        // The largest page a client may ask for (every connection caps `first` at 100).
        costAtFirst100: operationCost(schema, document, operation, pages ? { first: 100 } : {}, limits),
      };
    });

  it('each passes every limit with headroom (the figures are printed)', () => {
    for (const row of measured) {
      console.log(
        `${row.operation.padEnd(22)} tokens ${String(row.tokens).padStart(4)}  depth ${String(row.depth).padStart(2)}  aliases ${row.aliases}  ` +
          `directives ${row.directives}  cost ${String(row.cost).padStart(4)}  cost@first:100 ${String(row.costAtFirst100).padStart(5)}`,
      );
    }
    const most = (key: keyof (typeof measured)[number]) => Math.max(...measured.map((row) => Number(row[key])));
    console.log(
      `limits: tokens ${limits.maxTokens} (largest operation ${most('tokens')}), depth ${limits.maxDepth} (${most('depth')}), ` +
        `aliases ${limits.maxAliases} (${most('aliases')}), directives ${limits.maxDirectives} (${most('directives')}), ` +
        `cost ${limits.maxCost} (${most('cost')} with default pages, ${most('costAtFirst100')} with first: 100)`,
    );
    expect(measured.length).toBeGreaterThan(40);
    for (const row of measured) {
      expect(row.tokens, row.operation).toBeLessThanOrEqual(limits.maxTokens / 2);
      expect(row.depth, row.operation).toBeLessThanOrEqual(limits.maxDepth - 3);
      expect(row.aliases, row.operation).toBeLessThanOrEqual(limits.maxAliases / 2);
      expect(row.directives, row.operation).toBeLessThanOrEqual(limits.maxDirectives / 2);
      expect(row.costAtFirst100, row.operation).toBeLessThanOrEqual(limits.maxCost / 2);
    }
  });
});

/** `{ books(first: 1) { edges { node { a0: title a1: title … } } } }` */
const aliases = (count: number) =>
  `{ books(first: 1) { edges { node { ${Array.from({ length: count }, (_, index) => `a${index}: title`).join(' ')} } } } }`;

/** A valid query `depth` levels deep: book → listings → edges → node → book … */
function deepQuery(depth: number): string {
  let inner = 'id';
  let levels = 4; // books { edges { node { … id } } }
  while (levels < depth) {
    inner = `listings(first: 1) { edges { node { book { ${inner} } } } }`;
    levels += 4;
  }
  return `{ books(first: 1) { edges { node { ${inner} } } } }`;
}

const nestedLists =
  '{ books(first: 100) { edges { node { listings(first: 100) { edges { node { seller { ' +
  'listings(first: 100) { edges { node { book { reviews(first: 100) { edges { node { title } } } } } } } } } } } } } } }';
/** 100 × 100 × 100 lists, shallow enough for the depth limit: only the cost refuses it. */
const costly =
  '{ books(first: 100) { edges { node { listings(first: 100) { edges { node { seller { reviews(first: 100) { edges { node { id title } } } } } } } } } } }';

describe('attacks, as the issue measured them, through the router in production mode', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ env: { NODE_ENV: 'production', HTTP_HEADERS_TIMEOUT_MS: '2000', HTTP_REQUEST_TIMEOUT_MS: '3000' } });
  });
  afterAll(() => stack?.stop());

  /** Posts to the router; answers the status, the codes and the limit named, and how many fields resolved meanwhile. */
  async function attack(query: string) {
    const before = fieldResolutionCount();
    const started = performance.now();
    const body = JSON.stringify({ query });
    const response = await fetch(stack.routerUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const answer = (await response.json()) as { errors?: { message: string; extensions?: Record<string, unknown> }[] };
    const result = {
      status: response.status,
      codes: (answer.errors ?? []).map((error) => error.extensions?.code),
      limit: answer.errors?.[0]?.extensions?.limit,
      resolved: fieldResolutionCount() - before,
    };
    console.log(`${(body.length / 1024).toFixed(1)} KB → ${result.status} ${result.codes.join(',')} (${String(result.limit)}) in ${Math.round(performance.now() - started)} ms; fields resolved: ${result.resolved}`);
    return result;
  }

  it('counts resolved fields (so "none resolved" below means something)', async () => {
    const before = fieldResolutionCount();
    await stack.client.data('{ books(first: 1) { totalCount } }');
    expect(fieldResolutionCount()).toBeGreaterThan(before);
  });

  it('refuses 10,000 aliases (129 KB) by size, 1,000 by tokens and 16 by the alias limit, resolving nothing', async () => {
    expect(await attack(aliases(10_000))).toEqual({ status: 413, codes: ['PAYLOAD_TOO_LARGE'], limit: 'bodyBytes', resolved: 0 });
    expect(await attack(aliases(1_000))).toMatchObject({ status: 400, codes: ['QUERY_TOO_COMPLEX'], limit: 'tokens', resolved: 0 });
    expect(await attack(aliases(limits.maxAliases + 1))).toMatchObject({ codes: ['QUERY_TOO_COMPLEX'], limit: 'aliases', resolved: 0 });
  });

  it('refuses a query 2,050 levels deep by tokens, and one past the depth limit by depth, resolving nothing', async () => {
    expect(await attack(deepQuery(2_050))).toMatchObject({ status: 400, codes: ['QUERY_TOO_COMPLEX'], limit: 'tokens', resolved: 0 });
    expect(await attack(deepQuery(limits.maxDepth + 1))).toMatchObject({ status: 400, codes: ['QUERY_TOO_COMPLEX'], limit: 'depth', resolved: 0 });
  });

  it('refuses 100×100×100×100 nested lists, and 100×100×100 within the depth limit by cost, resolving nothing', async () => {
    expect(await attack(nestedLists)).toMatchObject({ status: 400, codes: ['QUERY_TOO_COMPLEX'], resolved: 0 });
    expect(await attack(costly)).toMatchObject({ status: 400, codes: ['QUERY_TOO_COMPLEX'], limit: 'cost', resolved: 0 });
  });

  it('refuses more directives than the limit, resolving nothing', async () => {
    const directives = Array.from({ length: limits.maxDirectives + 1 }, () => '__typename @include(if: true)').join(' ');
    expect(await attack(`{ books(first: 1) { totalCount ${directives} } }`)).toMatchObject({ codes: ['QUERY_TOO_COMPLEX'], limit: 'directives', resolved: 0 });
  });

  it('cuts off a body trickled byte by byte once the request timeout passes (408)', async () => {
    const { port } = new URL(stack.routerUrl);
    const socket = connect(Number(port), '127.0.0.1');
    const started = performance.now();
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write('POST /graphql HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n');
    const trickle = setInterval(() => socket.writable && socket.write('{'), 250);
    await closed;
    clearInterval(trickle);
    console.log(`trickled body cut off after ${Math.round(performance.now() - started)} ms: ${received.split('\r\n')[0]}`);
    expect(received).toMatch(/^HTTP\/1\.1 408/);
  });

  it('refuses the same attacks sent straight to a subgraph (signed as the router), resolving nothing', async () => {
    const books = stack.services.books!.url;
    const before = fieldResolutionCount();
    const sendSigned = (query: string) => postToSubgraph(books, { query }, { secret: TEST_SUBGRAPH_SECRET });
    const tooMany = await sendSigned(aliases(10_000));
    expect([tooMany.status, tooMany.body.errors?.[0]?.extensions?.code]).toEqual([400, 'QUERY_TOO_COMPLEX']);
    const deep = await sendSigned(deepQuery(2_050));
    expect(deep.body.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'tokens' });
    const lists = await sendSigned(
      '{ books(first: 100) { edges { node { listings(first: 100) { edges { node { book { listings(first: 100) { edges { node { id } } } } } } } } } } }',
    );
    expect(lists.body.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost' });
    expect(fieldResolutionCount() - before).toBe(0);
  });
});
