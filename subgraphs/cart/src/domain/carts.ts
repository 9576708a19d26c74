import { createHash, randomBytes } from 'node:crypto';
import { badUserInput, forbidden, MAX_TOTAL_AMOUNT, notFound, parseInput, requireViewer, totalTooLarge, viewerOrNull, type AuthState, type LeanReader, type Viewer } from '@bazaar/service';
import type { CartItem, ListingProjection, Prisma, PrismaClient } from '../generated/prisma/client';
import {
  addToCartInput,
  availableQuantity,
  clearCartInput,
  currentPrice,
  MAX_CART_LINES,
  MAX_LINE_QUANTITY,
  mergeGuestCartInput,
  removeFromCartInput,
  subtotalOf,
  updateCartItemInput,
} from './rules';
import type { CartModel, MoneyValue } from './types';

type Tx = Prisma.TransactionClient;

/** Guest cart tokens: 256 random bits; only their SHA-256 is stored. */
const GUEST_TOKEN_PREFIX = 'gct_';
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const NO_GUEST_CART = 'No guest cart with this token.';

/** One line of a cart with its cart's columns; the line's columns are null for an empty cart. */
type CartLineRow = { cartId: string; ownerId: string | null; cartUpdatedAt: Date } & { [K in keyof Omit<CartItem, 'cartId'>]: CartItem[K] | null };

const emptyCart = (ownerId: string | null): CartModel => ({ id: null, ownerId, updatedAt: null, items: [] });

/** Shopping carts of users and guests: the rules, in one transaction per change. */
export class Carts {
  constructor(
    private readonly db: PrismaClient,
    /** Spends one guest cart of the client address's allowance (TOO_MANY_REQUESTS past it). */
    private readonly guestCartAllowance: { consume(clientAddress: string): Promise<void> },
    /** The storefront's reads (the cart page, its listings), past Prisma's interpreter. */
    private readonly reader: LeanReader,
  ) {}

  /** The user's cart; empty when they never added anything. */
  async ofUser(userId: string): Promise<CartModel> {
    return (await this.load({ ownerId: userId })) ?? emptyCart(userId);
  }

  /** A guest cart by its token, or null. */
  guestCart(token: string): Promise<CartModel | null> {
    return this.load({ tokenHash: hashToken(token) });
  }

  async createGuestCart(clientAddress: string): Promise<{ guestCartToken: string; cart: CartModel }> {
    await this.guestCartAllowance.consume(clientAddress);
    const guestCartToken = GUEST_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const cart = await this.db.cart.create({ data: { tokenHash: hashToken(guestCartToken) }, include: { items: true } });
    return { guestCartToken, cart };
  }

  /** Adds copies of a listing to the viewer's (or the guest's) cart, to its existing line if any. */
  async add(auth: AuthState, rawInput: unknown): Promise<CartModel> {
    const input = parseInput(addToCartInput, rawInput);
    const viewer = input.guestCartToken ? viewerOrNull(auth) : requireViewer(auth);
    return this.change(auth, input.guestCartToken, async (tx, cartId) => {
      const listing = await this.buyableListing(tx, input.listingId, viewer);
      const existing = await tx.cartItem.findUnique({ where: { cartId_listingId: { cartId, listingId: listing.id } } });
      const wanted = (existing?.quantity ?? 0) + input.quantity;
      checkStock(listing, wanted, existing?.quantity ?? 0);
      const price = { amount: listing.priceAmount!, currency: listing.currency! };
      await checkSubtotal(tx, cartId, listing.id, price, wanted);
      if (existing) {
        await tx.cartItem.update({
          where: { id: existing.id },
          data: { quantity: wanted, acceptedAmount: price.amount, acceptedCurrency: price.currency },
        });
      } else {
        if ((await tx.cartItem.count({ where: { cartId } })) >= MAX_CART_LINES) {
          throw badUserInput(`A cart holds at most ${MAX_CART_LINES} different listings.`, {
            fields: [{ field: 'listingId', message: 'the cart is full' }],
          });
        }
        await tx.cartItem.create({
          data: { cartId, listingId: listing.id, quantity: wanted, acceptedAmount: price.amount, acceptedCurrency: price.currency },
        });
      }
    });
  }

  /** Sets a line's quantity; the buyer accepts the current price with it. */
  async update(auth: AuthState, rawInput: unknown): Promise<CartModel> {
    const input = parseInput(updateCartItemInput, rawInput);
    if (!input.guestCartToken) requireViewer(auth);
    return this.change(auth, input.guestCartToken, async (tx, cartId) => {
      const existing = await tx.cartItem.findUnique({ where: { cartId_listingId: { cartId, listingId: input.listingId } } });
      if (!existing) throw notFound('This listing is not in the cart.', { listingId: input.listingId });
      const listing = await tx.listingProjection.findUnique({ where: { id: input.listingId } });
      checkStock(listing, input.quantity, existing.quantity);
      const price = currentPrice(existing, listing);
      await checkSubtotal(tx, cartId, input.listingId, price, input.quantity);
      await tx.cartItem.update({
        where: { id: existing.id },
        data: { quantity: input.quantity, acceptedAmount: price.amount, acceptedCurrency: price.currency },
      });
    });
  }

  async remove(auth: AuthState, rawInput: unknown): Promise<CartModel> {
    const input = parseInput(removeFromCartInput, rawInput);
    if (!input.guestCartToken) requireViewer(auth);
    return this.change(auth, input.guestCartToken, async (tx, cartId) => {
      await tx.cartItem.deleteMany({ where: { cartId, listingId: input.listingId } });
    });
  }

  async clear(auth: AuthState, rawInput: unknown): Promise<CartModel> {
    const input = parseInput(clearCartInput, rawInput);
    if (!input?.guestCartToken) requireViewer(auth);
    return this.change(auth, input?.guestCartToken, async (tx, cartId) => {
      await tx.cartItem.deleteMany({ where: { cartId } });
    });
  }

  /**
   * Folds a guest cart into the signed-in user's cart: quantities of one listing add up, capped at
   * the copies on sale (and the per-line maximum); lines nobody can buy now and the user's own
   * listings are dropped. The guest cart is deleted, so its token stops working.
   */
  async merge(auth: AuthState, rawInput: unknown): Promise<CartModel> {
    const viewer = requireViewer(auth);
    const input = parseInput(mergeGuestCartInput, rawInput);
    return this.change(auth, undefined, async (tx, cartId) => {
      const [guest] = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM carts WHERE token_hash = ${hashToken(input.guestCartToken)} FOR UPDATE`;
      if (!guest) throw notFound(NO_GUEST_CART);
      const guestItems = await tx.cartItem.findMany({ where: { cartId: guest.id }, orderBy: { addedAt: 'asc' } });
      const listings = await listingMap(tx, guestItems.map(({ listingId }) => listingId));
      const mine = new Map((await tx.cartItem.findMany({ where: { cartId } })).map((item) => [item.listingId, item]));
      for (const item of guestItems) {
        const listing = listings.get(item.listingId);
        const available = availableQuantity(listing);
        if (!listing || available === 0 || listing.sellerId === viewer.id) continue;
        const existing = mine.get(item.listingId);
        const quantity = Math.min((existing?.quantity ?? 0) + item.quantity, available, MAX_LINE_QUANTITY);
        if (existing) {
          if (quantity > existing.quantity) await tx.cartItem.update({ where: { id: existing.id }, data: { quantity } });
        } else if (mine.size < MAX_CART_LINES) {
          const created = await tx.cartItem.create({
            data: {
              cartId,
              listingId: item.listingId,
              quantity,
              acceptedAmount: item.acceptedAmount,
              acceptedCurrency: item.acceptedCurrency,
              addedAt: item.addedAt,
            },
          });
          mine.set(created.listingId, created);
        }
      }
      await tx.cart.delete({ where: { id: guest.id } });
    });
  }

  /** The listings of the cart's projection, for the lines' prices, stock and problems. */
  listings(ids: readonly string[]): Promise<ListingProjection[]> {
    return this.reader.rows<ListingProjection>({
      name: 'cart-listings-by-id',
      text: `SELECT id, book_id AS "bookId", seller_id AS "sellerId", price_amount AS "priceAmount", currency, quantity, status,
                    removed_at AS "removedAt", price_as_of AS "priceAsOf", stock_as_of AS "stockAsOf", updated_at AS "updatedAt"
               FROM listings WHERE id = ANY($1::text[])`,
      values: [[...ids]],
    });
  }

  /** The cart and its lines in one statement (Prisma's `include` took two), lines oldest first. */
  private async load(where: { ownerId: string } | { tokenHash: string }): Promise<CartModel | null> {
    const byOwner = 'ownerId' in where;
    const rows = await this.reader.rows<CartLineRow>({
      name: byOwner ? 'cart-of-owner' : 'cart-of-guest-token',
      text: `SELECT c.id AS "cartId", c.owner_id AS "ownerId", c.updated_at AS "cartUpdatedAt",
                    i.id, i.listing_id AS "listingId", i.quantity, i.accepted_amount AS "acceptedAmount",
                    i.accepted_currency AS "acceptedCurrency", i.added_at AS "addedAt", i.updated_at AS "updatedAt"
               FROM carts c LEFT JOIN cart_items i ON i.cart_id = c.id
              WHERE ${byOwner ? 'c.owner_id' : 'c.token_hash'} = $1
              ORDER BY i.added_at, i.id`,
      values: [byOwner ? where.ownerId : where.tokenHash],
    });
    const [first] = rows;
    if (!first) return null;
    const items = rows.flatMap((row): CartItem[] =>
      row.id === null
        ? []
        : [{ id: row.id, cartId: row.cartId, listingId: row.listingId!, quantity: row.quantity!, acceptedAmount: row.acceptedAmount!, acceptedCurrency: row.acceptedCurrency!, addedAt: row.addedAt!, updatedAt: row.updatedAt! }],
    );
    return { id: first.cartId, ownerId: first.ownerId, updatedAt: first.cartUpdatedAt, items };
  }

  /**
   * Runs one change on a cart in a transaction that holds the cart's row lock: the guest cart of
   * `guestCartToken`, else the viewer's cart (created on first use). Returns the cart afterwards.
   */
  private async change(auth: AuthState, guestCartToken: string | null | undefined, work: (tx: Tx, cartId: string) => Promise<void>): Promise<CartModel> {
    const cartId = await this.db.$transaction(async (tx) => {
      let id: string;
      if (guestCartToken) {
        const [guest] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM carts WHERE token_hash = ${hashToken(guestCartToken)} FOR UPDATE`;
        if (!guest) throw notFound(NO_GUEST_CART);
        id = guest.id;
      } else {
        const viewer = requireViewer(auth);
        // Creates the user's cart on first use; the upsert also takes the row lock.
        const [own] = await tx.$queryRaw<{ id: string }[]>`
          INSERT INTO carts (id, owner_id, updated_at) VALUES (gen_random_uuid(), ${viewer.id}, now())
          ON CONFLICT (owner_id) DO UPDATE SET updated_at = now() RETURNING id`;
        id = own!.id;
      }
      await work(tx, id);
      await tx.cart.update({ where: { id }, data: { updatedAt: new Date() } });
      return id;
    });
    const cart = await this.db.cart.findUnique({ where: { id: cartId }, include: { items: { orderBy: [{ addedAt: 'asc' }, { id: 'asc' }] } } });
    return cart ?? emptyCart(guestCartToken ? null : requireViewer(auth).id);
  }

  /** A listing the viewer may put in a cart: known to the cart, not removed, and not their own. */
  private async buyableListing(tx: Tx, listingId: string, viewer: Viewer | null): Promise<ListingProjection> {
    const listing = await tx.listingProjection.findUnique({ where: { id: listingId } });
    if (!listing || listing.priceAmount === null || listing.currency === null) throw notFound('No listing with this id.', { listingId });
    if (viewer && listing.sellerId === viewer.id) throw forbidden('You cannot buy your own listing.');
    return listing;
  }
}

/** BAD_USER_INPUT naming the copies on sale when a line would ask for more (or the listing is not on sale). */
function checkStock(listing: ListingProjection | null, wanted: number, inCart: number): void {
  const available = availableQuantity(listing);
  if (available === 0) {
    throw badUserInput('This listing is not on sale at the moment.', {
      fields: [{ field: 'listingId', message: 'is not on sale' }],
      availableQuantity: 0,
      inCart,
    });
  }
  if (wanted > available) {
    throw badUserInput(`Only ${available} ${available === 1 ? 'copy is' : 'copies are'} available.`, {
      fields: [{ field: 'quantity', message: `must leave the line at most ${available}` }],
      availableQuantity: available,
      inCart,
    });
  }
  if (wanted > MAX_LINE_QUANTITY) {
    throw badUserInput(`A line holds at most ${MAX_LINE_QUANTITY} copies.`, {
      fields: [{ field: 'quantity', message: `must leave the line at most ${MAX_LINE_QUANTITY}` }],
      availableQuantity: available,
      inCart,
    });
  }
}

/** Refuses a change that would lift the cart's subtotal in `price`'s currency above MAX_TOTAL_AMOUNT. */
async function checkSubtotal(tx: Tx, cartId: string, listingId: string, price: MoneyValue, quantity: number): Promise<void> {
  const others = await tx.cartItem.findMany({ where: { cartId, listingId: { not: listingId } } });
  const listings = await listingMap(tx, others.map((item) => item.listingId));
  const subtotal = subtotalOf(others, listings).find(({ currency }) => currency === price.currency)?.amount ?? 0;
  const total = { amount: subtotal + price.amount * quantity, currency: price.currency };
  if (total.amount > MAX_TOTAL_AMOUNT) throw totalTooLarge('cart subtotal', total, 'quantity');
}

async function listingMap(tx: Tx, ids: string[]): Promise<Map<string, ListingProjection>> {
  const rows = await tx.listingProjection.findMany({ where: { id: { in: ids } } });
  return new Map(rows.map((row) => [row.id, row]));
}

/**
 * The id clients cache a cart under: stable for a user's cart whether or not its row exists yet
 * (derived from the user), the row id for a guest cart. Opaque either way.
 */
export function cartCacheId(cart: CartModel): string {
  if (cart.ownerId) return Buffer.from(`user-cart:${cart.ownerId}`).toString('base64url');
  return Buffer.from(`guest-cart:${cart.id}`).toString('base64url');
}
