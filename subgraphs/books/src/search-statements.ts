/**
 * The search's SQL statements and the generated large catalog, for `bench/search.ts`: it times each
 * search's own statements against the same search sent through the router.
 */
export { generatedCatalogSql } from './domain/generated-catalog';
export { bookFilter } from './domain/rules';
export { BROAD_RELEVANCE_START, searchPageQuery, type BookSort } from './domain/search';
export { countMatchesQuery, facetsQuery } from './domain/search-facets';
