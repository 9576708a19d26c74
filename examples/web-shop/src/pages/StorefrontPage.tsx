import { useQuery } from '@apollo/client/react';
import { type BookSort, type ListingCondition, SearchBooksDocument } from '@bazaar/example-client';
import { useState } from 'react';
import { formatMoney, humanize } from '../format';
import { href } from '../route';

const PAGE_SIZE = 12;
const SORTS: BookSort[] = ['RELEVANCE', 'PRICE_ASC', 'PRICE_DESC', 'NEWEST', 'TITLE'];

/** Adds or removes `value` from a facet's selection. */
const toggle = <T,>(values: T[], value: T) => (values.includes(value) ? values.filter((each) => each !== value) : [...values, value]);

export function StorefrontPage({ query }: { query: string }) {
  const [genres, setGenres] = useState<string[]>([]);
  const [conditions, setConditions] = useState<ListingCondition[]>([]);
  const [sort, setSort] = useState<BookSort>(query ? 'RELEVANCE' : 'NEWEST');
  const filter = { ...(query ? { query } : {}), ...(genres.length ? { genres } : {}), ...(conditions.length ? { conditions } : {}) };
  const { data, loading, error, fetchMore } = useQuery(SearchBooksDocument, { variables: { filter, sort, first: PAGE_SIZE } });
  const books = data?.books;

  return (
    <div className="storefront">
      <aside className="facets" aria-label="Filters">
        <h2>Filters</h2>
        <fieldset hidden={!books?.facets.genres.length}>
          <legend>Genre</legend>
          {books?.facets.genres.map(({ value, count }) => (
            <label key={value}>
              <input type="checkbox" checked={genres.includes(value)} onChange={() => setGenres(toggle(genres, value))} /> {value} <span className="count">({count})</span>
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Condition</legend>
          {books?.facets.conditions.map(({ value, count }) => (
            <label key={value}>
              <input type="checkbox" checked={conditions.includes(value as ListingCondition)} onChange={() => setConditions(toggle(conditions, value as ListingCondition))} />{' '}
              {humanize(value)} <span className="count">({count})</span>
            </label>
          ))}
        </fieldset>
      </aside>
      <section aria-labelledby="results-heading">
        <div className="results-bar">
          <h1 id="results-heading">{query ? `Results for “${query}”` : 'All books'}</h1>
          <label>
            Sort{' '}
            <select value={sort} onChange={(event) => setSort(event.target.value as BookSort)}>
              {SORTS.map((value) => (
                <option key={value} value={value}>
                  {humanize(value)}
                </option>
              ))}
            </select>
          </label>
        </div>
        {error && <p role="alert">{error.message}</p>}
        {books && <p className="muted">{books.totalCount === 1 ? '1 book' : `${books.totalCount} books`}</p>}
        <ul className="book-grid">
          {books?.edges.map(({ node }) => (
            <li key={node.id} className="card">
              <a href={href.book(node.id)} className="book-link">
                <div className="cover" aria-hidden="true">
                  {node.coverUrl ? <img src={node.coverUrl} alt="" /> : node.title.slice(0, 1)}
                </div>
                <h3>{node.title}</h3>
              </a>
              <p className="muted">{node.authors.map((author) => author.name).join(', ')}</p>
              <p>
                {node.lowestPrice ? <>from {formatMoney(node.lowestPrice)}</> : 'Not on sale'}
                {node.ratingCount > 0 && <span className="rating"> · ★ {node.averageRating?.toFixed(1)} ({node.ratingCount})</span>}
              </p>
            </li>
          ))}
        </ul>
        {loading && <p aria-live="polite">Loading…</p>}
        {books?.pageInfo.hasNextPage && (
          <button type="button" onClick={() => void fetchMore({ variables: { after: books.pageInfo.endCursor } })}>
            Show more
          </button>
        )}
      </section>
    </div>
  );
}
