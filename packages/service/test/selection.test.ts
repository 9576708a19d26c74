import { buildSchema, execute, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { requestedFields } from '../src/selection';

const schema = buildSchema(`
  type Connection { totalCount: Int facets: String edges: [String] }
  type Query { books: Connection }
`);

/** What `requestedFields` says the `books` resolver's result is asked for, in a real execution. */
function askedOf(query: string): string[] {
  let asked: string[] = [];
  const result = execute({
    schema,
    document: parse(query),
    rootValue: {
      books: (_args: unknown, _context: unknown, info: Parameters<typeof requestedFields>[0]) => {
        asked = [...requestedFields(info)].sort();
        return { totalCount: 1, facets: 'f', edges: [] };
      },
    },
  });
  expect(result).not.toHaveProperty('errors');
  return asked;
}

describe('requestedFields', () => {
  it('names the fields selected directly', () => {
    expect(askedOf('{ books { edges totalCount } }')).toEqual(['edges', 'totalCount']);
  });

  it('looks through inline fragments and named fragments, each named fragment once', () => {
    expect(askedOf('{ books { ... on Connection { facets } ...Counted ...Counted } } fragment Counted on Connection { totalCount }')).toEqual([
      'facets',
      'totalCount',
    ]);
  });

  it('merges every occurrence of the field (aliases of one field answer as one)', () => {
    expect(askedOf('{ books { edges } books { totalCount } }')).toEqual(['edges', 'totalCount']);
  });

  it('counts a field under @skip as asked (a superset: early work, never a wrong answer)', () => {
    expect(askedOf('{ books { edges totalCount @skip(if: true) } }')).toEqual(['edges', 'totalCount']);
  });
});
