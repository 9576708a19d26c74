import DataLoader from 'dataloader';
import { parseInput } from '@bazaar/service';
import { decodeCursor } from './domain/cursor';
import type { PageRequest } from './domain/reviews';
import { pageArgs } from './domain/rules';
import type { ReviewPage } from './domain/types';

const EMPTY_PAGE: ReviewPage = { edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } };

/**
 * Loaders of one page (first, after, sort) of many books' or authors' reviews, one loader per
 * distinct page asked for in the request. Arguments are checked here, before anything is loaded.
 */
export function pageLoaders(load: (keys: readonly string[], request: PageRequest) => Promise<Map<string, ReviewPage>>) {
  const loaders = new Map<string, DataLoader<string, ReviewPage>>();
  return (request: PageRequest) => {
    parseInput(pageArgs, { first: request.first, after: request.after });
    decodeCursor(request.after, request.sort);
    const cacheKey = JSON.stringify([request.first, request.after ?? null, request.sort]);
    let loader = loaders.get(cacheKey);
    if (!loader) {
      loader = new DataLoader<string, ReviewPage>(async (keys) => {
        const pages = await load(keys, request);
        return keys.map((key) => pages.get(key) ?? EMPTY_PAGE);
      });
      loaders.set(cacheKey, loader);
    }
    return loader;
  };
}
