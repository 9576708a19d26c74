import DataLoader from 'dataloader';
import { emptyConnection, pageArgs } from '@bazaar/service';
import { decodeCursor } from './domain/cursor';
import type { PageRequest } from './domain/reviews';
import type { ReviewPage } from './domain/types';

/**
 * Loaders of one page (first, after, sort) of many books' or authors' reviews, one loader per
 * distinct page asked for in the request. Arguments are checked here, before anything is loaded.
 */
export function pageLoaders(load: (keys: readonly string[], request: PageRequest) => Promise<Map<string, ReviewPage>>) {
  const loaders = new Map<string, DataLoader<string, ReviewPage>>();
  return (request: PageRequest) => {
    pageArgs(request);
    decodeCursor(request.after, request.sort);
    const cacheKey = JSON.stringify([request.first, request.after ?? null, request.sort]);
    let loader = loaders.get(cacheKey);
    if (!loader) {
      loader = new DataLoader<string, ReviewPage>(async (keys) => {
        const pages = await load(keys, request);
        return keys.map((key) => pages.get(key) ?? emptyConnection());
      });
      loaders.set(cacheKey, loader);
    }
    return loader;
  };
}
