const ITEM_FIELDS = /* GraphQL */ `id addedAt note targetPrice { amount currency } book { id }`;
export const ADD = `mutation($input: AddToWishlistInput!) { addToWishlist(input: $input) { item { ${ITEM_FIELDS} } } }`;
export const UPDATE = `mutation($input: UpdateWishlistItemInput!) { updateWishlistItem(input: $input) { item { ${ITEM_FIELDS} } } }`;
export const REMOVE = `mutation($bookId: ID!) { removeFromWishlist(bookId: $bookId) { removed wishlist { items { totalCount } } } }`;
export const MY_WISHLIST = `query($first: Int, $after: String) { me { wishlist { items(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${ITEM_FIELDS} } } } } } }`;

export interface ItemShape {
  id: string;
  addedAt: string;
  note: string | null;
  targetPrice: { amount: number; currency: string } | null;
  book: { id: string };
}
