import {
  badUserInput,
  conflict,
  forbidden,
  hasRole,
  isUuid,
  notFound,
  parseInput,
  requireRole,
  type AuthState,
  type LeanReader,
  type Viewer,
} from '@bazaar/service';
import { type z } from 'zod';
import { type Outbox } from '@bazaar/events';
import { ListingCreated, ListingPriceChanged, ListingRemoved, ListingStockChanged } from '@bazaar/contracts/books';
import type { Listing, ListingCondition, Prisma, PrismaClient } from '../generated/prisma/client';
import { refreshOffers, statusFor } from './offers';
import { createListingInput, restockListingInput, updateListingInput } from './rules';
import { LISTING_COLUMNS } from './listing-pages';

type StockReason = z.infer<typeof ListingStockChanged.data>['reason'];

const money = (listing: Listing) => ({ amount: listing.priceAmount, currency: listing.currency });

/** The ListingCreated payload, the same whether a seller lists a copy or the demo catalog is seeded. */
export const listingCreatedData = (listing: Pick<Listing, 'id' | 'bookId' | 'sellerId' | 'condition' | 'priceAmount' | 'currency' | 'quantity' | 'status'>) => ({
  listingId: listing.id,
  bookId: listing.bookId,
  sellerId: listing.sellerId,
  condition: listing.condition,
  price: { amount: listing.priceAmount, currency: listing.currency },
  quantity: listing.quantity,
  status: listing.status,
});

/** Listings by id, as Prisma's `listing.findMany` gives them (in no particular order). */
export function listingsById(reader: LeanReader, ids: readonly string[]): Promise<Listing[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return Promise.resolve([]);
  return reader.rows<Listing>({ name: 'listings-by-id', text: `SELECT ${LISTING_COLUMNS.text} FROM listings l WHERE l.id = ANY($1::uuid[])`, values: [valid] });
}

/** Sellers' offers: creation and changes by their seller (or an admin); their pages are in listing-pages.ts. */
export class Listings {
  constructor(
    private readonly db: PrismaClient,
    private readonly outbox: Outbox,
    private readonly reader: LeanReader,
  ) {}

  /** The signed-in seller offers copies of a book. */
  async createListing(auth: AuthState, rawInput: unknown): Promise<Listing> {
    const viewer = requireRole(auth, 'SELLER');
    const input = parseInput(createListingInput, rawInput);
    if (!isUuid(input.bookId)) throw notFound('No book with this id.', { id: input.bookId });
    return this.db.$transaction(async (tx) => {
      const book = await tx.book.findUnique({ where: { id: input.bookId }, select: { id: true } });
      if (!book) throw notFound('No book with this id.', { id: input.bookId });
      const listing = await tx.listing.create({
        data: {
          bookId: book.id,
          sellerId: viewer.id,
          condition: input.condition,
          priceAmount: input.price.amount,
          currency: input.price.currency,
          quantity: input.quantity,
          status: input.quantity > 0 ? 'ACTIVE' : 'SOLD_OUT',
        },
      });
      await refreshOffers(tx, [book.id]);
      await this.outbox.add(tx, {
        definition: ListingCreated,
        key: listing.id,
        data: listingCreatedData(listing),
      });
      return listing;
    });
  }

  async updateListing(viewer: Viewer, rawInput: unknown): Promise<Listing> {
    const input = parseInput(updateListingInput, rawInput);
    return this.change(viewer, input.id, async (tx, listing) => {
      // The seller's number is what they have on hand; copies reserved for orders stay reserved.
      if (input.quantity !== undefined && input.quantity < listing.reserved) {
        throw badUserInput(`quantity must be at least ${listing.reserved}: that many copies are reserved for orders awaiting payment.`, {
          fields: [{ field: 'quantity', message: `must be at least the ${listing.reserved} reserved copies` }],
          reservedQuantity: listing.reserved,
        });
      }
      const quantity = input.quantity === undefined ? listing.quantity : input.quantity - listing.reserved;
      const data: Prisma.ListingUpdateInput = {
        ...(input.condition !== undefined && { condition: input.condition as ListingCondition }),
        ...(input.price !== undefined && { priceAmount: input.price.amount, currency: input.price.currency }),
        quantity,
        status: statusFor(listing.status, quantity),
      };
      const updated = await tx.listing.update({ where: { id: listing.id }, data });
      if (updated.priceAmount !== listing.priceAmount || updated.currency !== listing.currency) {
        await this.outbox.add(tx, {
          definition: ListingPriceChanged,
          key: listing.id,
          data: { listingId: listing.id, bookId: listing.bookId, sellerId: listing.sellerId, price: money(updated), previousPrice: money(listing) },
        });
      }
      await this.stockChanged(tx, listing, updated, 'UPDATED');
      return updated;
    });
  }

  async pauseListing(viewer: Viewer, id: string): Promise<Listing> {
    return this.change(viewer, id, async (tx, listing) => {
      if (listing.status === 'PAUSED') return listing;
      const updated = await tx.listing.update({ where: { id }, data: { status: 'PAUSED' } });
      await this.stockChanged(tx, listing, updated, 'PAUSED');
      return updated;
    });
  }

  async resumeListing(viewer: Viewer, id: string): Promise<Listing> {
    return this.change(viewer, id, async (tx, listing) => {
      if (listing.status !== 'PAUSED') return listing;
      const updated = await tx.listing.update({ where: { id }, data: { status: listing.quantity > 0 ? 'ACTIVE' : 'SOLD_OUT' } });
      await this.stockChanged(tx, listing, updated, 'RESUMED');
      return updated;
    });
  }

  async restockListing(viewer: Viewer, rawInput: unknown): Promise<Listing> {
    const input = parseInput(restockListingInput, rawInput);
    return this.change(viewer, input.id, async (tx, listing) => {
      const quantity = listing.quantity + input.quantity;
      const updated = await tx.listing.update({ where: { id: listing.id }, data: { quantity, status: statusFor(listing.status, quantity) } });
      await this.stockChanged(tx, listing, updated, 'RESTOCKED');
      return updated;
    });
  }

  async removeListing(viewer: Viewer, id: string): Promise<Listing> {
    return this.change(viewer, id, async (tx, listing) => {
      const updated = await tx.listing.update({ where: { id }, data: { status: 'REMOVED' } });
      await this.outbox.add(tx, {
        definition: ListingRemoved,
        key: listing.id,
        data: { listingId: listing.id, bookId: listing.bookId, sellerId: listing.sellerId, removedBy: viewer.id },
      });
      return updated;
    });
  }

  findMany(ids: readonly string[]): Promise<Listing[]> {
    return listingsById(this.reader, ids);
  }

  /**
   * Runs one change to a listing in a transaction holding its row lock, after checking that it
   * exists, is not removed, and belongs to the viewer (or the viewer is an admin). The book's offer
   * columns are refreshed in the same transaction.
   */
  private async change(
    viewer: Viewer,
    id: string,
    apply: (tx: Prisma.TransactionClient, listing: Listing) => Promise<Listing>,
  ): Promise<Listing> {
    if (!isUuid(id)) throw notFound('No listing with this id.', { id });
    return this.db.$transaction(async (tx) => {
      const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM listings WHERE id = ${id}::uuid FOR UPDATE`;
      if (!locked) throw notFound('No listing with this id.', { id });
      const listing = await tx.listing.findUniqueOrThrow({ where: { id } });
      if (listing.sellerId !== viewer.id && !hasRole(viewer, 'ADMIN')) throw forbidden('Only the listing\'s seller or an admin can change it.');
      if (listing.status === 'REMOVED') throw conflict('This listing was removed and can no longer change.', { id });
      const updated = await apply(tx, listing);
      if (updated !== listing) await refreshOffers(tx, [listing.bookId]);
      return updated;
    });
  }

  private async stockChanged(tx: Prisma.TransactionClient, before: Listing, after: Listing, reason: StockReason): Promise<void> {
    if (before.quantity === after.quantity && before.status === after.status) return;
    await this.outbox.add(tx, {
      definition: ListingStockChanged,
      key: after.id,
      data: {
        listingId: after.id,
        bookId: after.bookId,
        quantity: after.quantity,
        previousQuantity: before.quantity,
        status: after.status,
        reason,
      },
    });
  }
}
