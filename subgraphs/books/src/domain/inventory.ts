/*
 * Stock reservations: the inventory rules the checkout saga calls (from its event handlers) in a
 * transaction of its own choosing. Every function takes a transaction (raw SQL) and writes its
 * changes and their ListingStockChanged events there, so they commit or roll back with the caller.
 *
 * Concurrency: reserveStock locks the listings' rows (SELECT … FOR UPDATE, in id order so two
 * reservations never deadlock), checks every line, and only then writes. Two buyers racing for the
 * last copy queue on the row lock; the second sees quantity 0 and is refused. A CHECK constraint
 * (quantity >= 0) backs this up in the database. Before locking, a plain read refuses what is
 * already unavailable (a refusal of committed state is as right as one under the lock), so buyers
 * of a sold-out listing never queue on its row behind those still buying its last copies.
 */
import { DomainError, isUuid, MAX_TOTAL_AMOUNT, notFound, type RawSql } from '@bazaar/service';
import { type Outbox } from '@bazaar/events';
import { ListingStockChanged } from '@bazaar/contracts/books';
import { refreshOffers } from './offers';

export interface ReservationLineInput {
  listingId: string;
  quantity: number;
}

interface ReservedLine {
  listingId: string;
  bookId: string;
  sellerId: string;
  quantity: number;
  /** The listing's price when reserved: what the buyer pays. */
  unitPrice: { amount: number; currency: string };
}

export interface Reservation {
  id: string;
  status: 'RESERVED' | 'RELEASED' | 'COMMITTED';
  lines: ReservedLine[];
  expiresAt: Date;
}

export interface UnavailableLine {
  listingId: string;
  requested: number;
  available: number;
  /**
   * NOT_ACTIVE: paused or removed (a sold-out listing is INSUFFICIENT_STOCK with 0 available);
   * MIXED_CURRENCIES: priced in another currency than the order's first line;
   * OWN_LISTING: the buyer sells it.
   */
  reason: 'NOT_FOUND' | 'NOT_ACTIVE' | 'INSUFFICIENT_STOCK' | 'MIXED_CURRENCIES' | 'OWN_LISTING' | 'TOTAL_TOO_LARGE';
}

/** Thrown when some line cannot be reserved; nothing was written. Carries every failing line. */
export class StockUnavailableError extends DomainError {
  constructor(readonly lines: UnavailableLine[]) {
    super('CONFLICT', 'Some items are no longer available in the quantity asked for.', { unavailable: lines });
  }
}

const DEFAULT_TTL_SECONDS = 15 * 60;

interface ReservationRow {
  id: string;
  status: Reservation['status'];
  lines: unknown;
  expires_at: Date;
}

const toReservation = (row: ReservationRow): Reservation => ({
  id: row.id,
  status: row.status,
  lines: row.lines as unknown as ReservedLine[],
  expiresAt: row.expires_at,
});

interface ListingRow {
  id: string;
  book_id: string;
  seller_id: string;
  quantity: number;
  status: string;
  price_amount: number;
  currency: string;
}

/** The lines that cannot be reserved from these listing rows, each with its reason (docs/checkout.md). */
function unavailableLines(request: { lines: ReservationLineInput[]; buyerId?: string }, ids: string[], wanted: Map<string, number>, rows: ListingRow[]): UnavailableLine[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  // The order's currency: that of its first line (in the caller's order) that exists.
  const currency = request.lines.map(({ listingId }) => byId.get(listingId)?.currency.trim()).find((code) => code !== undefined);
  const unavailable: UnavailableLine[] = [];
  for (const id of ids) {
    const requested = wanted.get(id)!;
    const row = byId.get(id);
    const fail = (reason: UnavailableLine['reason'], available: number) => unavailable.push({ listingId: id, requested, available, reason });
    if (!row) fail('NOT_FOUND', 0);
    else if (row.status === 'PAUSED' || row.status === 'REMOVED') fail('NOT_ACTIVE', 0);
    else if (request.buyerId !== undefined && row.seller_id === request.buyerId) fail('OWN_LISTING', row.quantity);
    else if (row.currency.trim() !== currency) fail('MIXED_CURRENCIES', row.quantity);
    else if (row.quantity < requested) fail('INSUFFICIENT_STOCK', row.quantity);
  }
  return unavailable;
}

/**
 * Takes the quantities off the listings, all lines or none, and records the reservation under the
 * caller's id (e.g. the order id). Reserving an id that already exists returns that reservation and
 * changes nothing, so a redelivered OrderPlaced reserves once.
 *
 * Every line must be ACTIVE with enough copies, all lines must share one currency (the first
 * line's), and with `buyerId` no line may be the buyer's own listing; otherwise it throws
 * StockUnavailableError naming every offending line, having written nothing. The reservation
 * expires at `expiresAt` (else after `ttlSeconds`, default 15 minutes).
 */
export async function reserveStock(
  tx: RawSql,
  outbox: Outbox,
  request: { reservationId: string; lines: ReservationLineInput[]; ttlSeconds?: number; expiresAt?: Date; buyerId?: string },
): Promise<Reservation> {
  const [existing] = await tx.$queryRaw<ReservationRow[]>`
    SELECT id, status::text AS status, lines, expires_at FROM stock_reservations WHERE id = ${request.reservationId} FOR UPDATE`;
  if (existing) return toReservation(existing);

  // One line per listing, in id order (the lock order).
  const wanted = new Map<string, number>();
  for (const line of request.lines) {
    if (!Number.isInteger(line.quantity) || line.quantity < 1) throw new RangeError('Reservation quantities must be positive integers');
    wanted.set(line.listingId, (wanted.get(line.listingId) ?? 0) + line.quantity);
  }
  if (wanted.size === 0) throw new RangeError('A reservation needs at least one line');
  const ids = [...wanted.keys()].sort();
  const validIds = ids.filter(isUuid);

  const unlocked = await tx.$queryRaw<ListingRow[]>`
    SELECT id, book_id, seller_id, quantity, status::text AS status, price_amount, currency FROM listings WHERE id = ANY(${validIds}::uuid[])`;
  const refused = unavailableLines(request, ids, wanted, unlocked);
  if (refused.length > 0) throw new StockUnavailableError(refused);
  const rows = await tx.$queryRaw<ListingRow[]>`
    SELECT id, book_id, seller_id, quantity, status::text AS status, price_amount, currency FROM listings
     WHERE id = ANY(${validIds}::uuid[]) ORDER BY id FOR UPDATE`;
  const byId = new Map(rows.map((row) => [row.id, row]));
  const unavailable = unavailableLines(request, ids, wanted, rows);
  if (unavailable.length > 0) throw new StockUnavailableError(unavailable);
  // The order total must stay within MAX_TOTAL_AMOUNT (docs/errors.md): every line is refused then.
  const total = ids.reduce((sum, id) => sum + wanted.get(id)! * byId.get(id)!.price_amount, 0);
  if (total > MAX_TOTAL_AMOUNT) {
    throw new StockUnavailableError(ids.map((id) => ({ listingId: id, requested: wanted.get(id)!, available: byId.get(id)!.quantity, reason: 'TOTAL_TOO_LARGE' as const })));
  }

  const quantities = ids.map((id) => wanted.get(id)!);
  await tx.$executeRaw`
    UPDATE listings l SET
      quantity = l.quantity - wanted.quantity,
      reserved = l.reserved + wanted.quantity,
      status = CASE WHEN l.quantity - wanted.quantity = 0 THEN 'SOLD_OUT'::"ListingStatus" ELSE l.status END,
      updated_at = now()
    FROM unnest(${ids}::uuid[], ${quantities}::int[]) AS wanted(id, quantity)
    WHERE l.id = wanted.id`;

  const lines: ReservedLine[] = ids.map((id) => {
    const row = byId.get(id)!;
    return {
      listingId: id,
      bookId: row.book_id,
      sellerId: row.seller_id,
      quantity: wanted.get(id)!,
      unitPrice: { amount: row.price_amount, currency: row.currency.trim() },
    };
  });
  const expiresAt = request.expiresAt ?? new Date(Date.now() + (request.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000);
  await tx.$executeRaw`
    INSERT INTO stock_reservations (id, status, lines, expires_at, created_at, updated_at)
    VALUES (${request.reservationId}, 'RESERVED', ${JSON.stringify(lines)}::jsonb, ${expiresAt}, now(), now())`;
  for (const line of lines) {
    const before = byId.get(line.listingId)!;
    const quantity = before.quantity - line.quantity;
    await outbox.add(tx, {
      definition: ListingStockChanged,
      key: line.listingId,
      data: {
        listingId: line.listingId,
        bookId: line.bookId,
        quantity,
        previousQuantity: before.quantity,
        status: quantity === 0 ? 'SOLD_OUT' : 'ACTIVE',
        reason: 'RESERVED',
        reservationId: request.reservationId,
      },
    });
  }
  // A book's offers change only when one of its listings stops being on offer: sold out here.
  await refreshOffers(tx, lines.filter((line) => byId.get(line.listingId)!.quantity === line.quantity).map(({ bookId }) => bookId));
  return { id: request.reservationId, status: 'RESERVED', lines, expiresAt };
}

/** Whether a listing counts among its book's offers (refreshOffers' rule). */
const isOnOffer = ({ status, quantity }: { status: string; quantity: number }) => status === 'ACTIVE' && quantity > 0;

/**
 * Puts a reservation's copies back (an unpaid order expired, or was cancelled). A SOLD_OUT listing
 * is on sale again; paused and removed ones keep their status. Releasing twice, or releasing a
 * committed reservation, changes nothing.
 */
export async function releaseReservation(tx: RawSql, outbox: Outbox, reservationId: string): Promise<Reservation> {
  const reservation = await lockReservation(tx, reservationId);
  if (reservation.status !== 'RESERVED') return reservation;
  return putBack(tx, outbox, reservation, 'RELEASED');
}

/**
 * Puts a committed reservation's copies back on sale (a paid order was cancelled or refunded), as
 * releaseReservation does, with ListingStockChanged reason RESTOCKED; the reservation ends RELEASED,
 * so restocking twice changes nothing. A reservation still RESERVED is released instead; a
 * RELEASED one is left alone.
 */
export async function restockReservation(tx: RawSql, outbox: Outbox, reservationId: string): Promise<Reservation> {
  const reservation = await lockReservation(tx, reservationId);
  if (reservation.status === 'RELEASED') return reservation;
  return putBack(tx, outbox, reservation, reservation.status === 'COMMITTED' ? 'RESTOCKED' : 'RELEASED');
}

async function putBack(tx: RawSql, outbox: Outbox, reservation: Reservation, reason: 'RELEASED' | 'RESTOCKED'): Promise<Reservation> {
  const reservationId = reservation.id;
  const ids = reservation.lines.map(({ listingId }) => listingId);
  const quantities = reservation.lines.map(({ quantity }) => quantity);
  // Same lock order as reserveStock: listings by id, then books (refreshOffers).
  const before = await tx.$queryRaw<{ id: string; quantity: number; status: string }[]>`
    SELECT id, quantity, status::text AS status FROM listings WHERE id = ANY(${ids}::uuid[]) ORDER BY id FOR UPDATE`;
  // Released copies leave `reserved`; restocked ones were sold (committed), so they only come back on hand.
  const fromReserved = reason === 'RELEASED';
  const updated = await tx.$queryRaw<{ id: string; book_id: string; quantity: number; status: 'ACTIVE' | 'PAUSED' | 'SOLD_OUT' | 'REMOVED' }[]>`
    UPDATE listings l SET
      quantity = l.quantity + back.quantity,
      reserved = CASE WHEN ${fromReserved} THEN l.reserved - back.quantity ELSE l.reserved END,
      status = CASE WHEN l.status = 'SOLD_OUT' THEN 'ACTIVE'::"ListingStatus" ELSE l.status END,
      updated_at = now()
    FROM unnest(${ids}::uuid[], ${quantities}::int[]) AS back(id, quantity)
    WHERE l.id = back.id
    RETURNING l.id, l.book_id, l.quantity, l.status::text AS status`;
  for (const row of updated) {
    const line = reservation.lines.find(({ listingId }) => listingId === row.id)!;
    await outbox.add(tx, {
      definition: ListingStockChanged,
      key: row.id,
      data: {
        listingId: row.id,
        bookId: row.book_id,
        quantity: row.quantity,
        previousQuantity: row.quantity - line.quantity,
        status: row.status,
        reason,
        reservationId,
      },
    });
  }
  await tx.$executeRaw`UPDATE stock_reservations SET status = 'RELEASED', updated_at = now() WHERE id = ${reservationId}`;
  // A book's offers change only when one of its listings comes back on offer (e.g. it was sold out).
  const wasOnOffer = new Set(before.filter(isOnOffer).map(({ id }) => id));
  await refreshOffers(tx, updated.filter((row) => isOnOffer(row) && !wasOnOffer.has(row.id)).map(({ book_id }) => book_id));
  return { ...reservation, status: 'RELEASED' };
}

/** The copies are sold for good (the order was paid). Committing twice changes nothing; a released reservation cannot be committed. */
export async function commitReservation(tx: RawSql, reservationId: string): Promise<Reservation> {
  const reservation = await lockReservation(tx, reservationId);
  if (reservation.status === 'COMMITTED') return reservation;
  if (reservation.status === 'RELEASED') {
    throw new DomainError('CONFLICT', 'This reservation was released; its copies may have been sold to someone else.', { reservationId });
  }
  // The copies are sold: they leave `reserved` (they had left `quantity` when reserved).
  const ids = reservation.lines.map(({ listingId }) => listingId);
  const quantities = reservation.lines.map(({ quantity }) => quantity);
  await tx.$executeRaw`SELECT 1 FROM listings WHERE id = ANY(${ids}::uuid[]) ORDER BY id FOR UPDATE`;
  await tx.$executeRaw`
    UPDATE listings l SET reserved = l.reserved - sold.quantity, updated_at = now()
    FROM unnest(${ids}::uuid[], ${quantities}::int[]) AS sold(id, quantity) WHERE l.id = sold.id`;
  await tx.$executeRaw`UPDATE stock_reservations SET status = 'COMMITTED', updated_at = now() WHERE id = ${reservationId}`;
  return { ...reservation, status: 'COMMITTED' };
}

/** The reservation with this id, locked for the rest of the transaction; null when there is none. */
export async function findReservationForUpdate(tx: RawSql, reservationId: string): Promise<Reservation | null> {
  const [row] = await tx.$queryRaw<ReservationRow[]>`
    SELECT id, status::text AS status, lines, expires_at FROM stock_reservations WHERE id = ${reservationId} FOR UPDATE`;
  return row ? toReservation(row) : null;
}

async function lockReservation(tx: RawSql, reservationId: string): Promise<Reservation> {
  const reservation = await findReservationForUpdate(tx, reservationId);
  if (!reservation) throw notFound('No stock reservation with this id.', { reservationId });
  return reservation;
}
