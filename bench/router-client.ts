/** Just enough of a client of the public graph for the benchmarks: what a shop front would send. */
import { randomUUID } from 'node:crypto';

const ADDRESS = { name: 'Bench Buyer', line1: '1 Reading Lane', postalCode: '10115', city: 'Berlin', country: 'DE' };
/**
 * How often a waiting buyer looks at the order again. Latency comes from the order's own status
 * timestamps, not from this; polling faster only loads the machine being measured.
 */
const POLL_MS = 100;

interface GraphQLBody<Data> {
  data?: Data | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export class Router {
  constructor(
    private readonly url: string,
    private readonly token?: string,
  ) {}

  async request<Data>(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLBody<Data>> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLBody<Data>;
  }

  async data<Data>(query: string, variables: Record<string, unknown> = {}): Promise<Data> {
    const body = await this.request<Data>(query, variables);
    if (body.errors?.length || !body.data) throw new Error(`GraphQL request failed: ${JSON.stringify(body.errors ?? body)}`);
    return body.data;
  }

  async logIn(email: string, password: string): Promise<Shopper> {
    const { logIn } = await this.data<{ logIn: { session: { accessToken: string } } }>(
      `mutation($input: LogInInput!) { logIn(input: $input) { session { accessToken } } }`,
      { input: { email, password } },
    );
    return new Shopper(new Router(this.url, logIn.session.accessToken));
  }

  async signUp(email: string): Promise<Shopper> {
    const { signUp } = await this.data<{ signUp: { session: { accessToken: string } } }>(
      `mutation($input: SignUpInput!) { signUp(input: $input) { session { accessToken } } }`,
      { input: { email, password: 'a long bench password', displayName: 'Bench Buyer' } },
    );
    return new Shopper(new Router(this.url, signUp.session.accessToken));
  }
}

export class Shopper {
  constructor(readonly router: Router) {}

  /** As a seller: a new book with one listing of plenty of copies, so stock never runs out mid-run. */
  async listPlentifulBook(): Promise<string> {
    const { createBook } = await this.router.data<{ createBook: { book: { id: string } } }>(
      `mutation($input: CreateBookInput!) { createBook(input: $input) { book { id } } }`,
      { input: { isbn: randomIsbn13(), title: 'The Benchmark', authors: ['Bench Author'], language: 'en' } },
    );
    const { createListing } = await this.router.data<{ createListing: { listing: { id: string } } }>(
      `mutation($input: CreateListingInput!) { createListing(input: $input) { listing { id } } }`,
      { input: { bookId: createBook.book.id, condition: 'NEW', price: { amount: 1500, currency: 'EUR' }, quantity: 100_000 } },
    );
    return createListing.listing.id;
  }

  /** One complete checkout of one copy: place, wait for AWAITING_PAYMENT, pay, wait for PAID. */
  async checkout(listingId: string): Promise<{ awaitingPaymentMs: number }> {
    const placedAt = Date.now();
    const { placeOrder } = await this.router.data<{ placeOrder: { order: { id: string } } }>(
      `mutation($input: PlaceOrderInput!, $key: String!) { placeOrder(input: $input, idempotencyKey: $key) { order { id } } }`,
      { input: { items: [{ listingId, quantity: 1 }], shippingAddress: ADDRESS }, key: randomUUID() },
    );
    const orderId = placeOrder.order.id;
    const history = await this.waitForStatus(orderId, 'AWAITING_PAYMENT');
    // From sending placeOrder to the moment orders recorded AWAITING_PAYMENT (one machine, one clock).
    const awaitingPaymentMs = Date.parse(history.find(({ status }) => status === 'AWAITING_PAYMENT')!.at) - placedAt;
    const payKey = randomUUID();
    // payments may learn of the payable order a moment after orders does: a refusal is retried.
    await pollUntil(async () => {
      const body = await this.router.request(
        `mutation($input: PayOrderInput!) { payOrder(input: $input) { payment { status } } }`,
        { input: { orderId, paymentMethodToken: 'tok_visa', idempotencyKey: payKey } },
      );
      return !body.errors?.length;
    }, POLL_MS, 60_000);
    await this.waitForStatus(orderId, 'PAID');
    return { awaitingPaymentMs };
  }

  private async waitForStatus(orderId: string, status: string): Promise<{ status: string; at: string }[]> {
    let history: { status: string; at: string }[] = [];
    const reached = await pollUntil(async () => {
      const { order } = await this.router.data<{ order: { status: string; statusHistory: { status: string; at: string }[] } }>(
        `query($id: ID!) { order(id: $id) { status statusHistory { status at } } }`,
        { id: orderId },
      );
      if (order.status === 'REJECTED' || order.status === 'CANCELLED') throw new Error(`order ${orderId} is ${order.status}`);
      history = order.statusHistory;
      return order.status === status;
    }, POLL_MS, 120_000);
    if (!reached) throw new Error(`order ${orderId} never reached ${status}`);
    return history;
  }
}

/** Calls `check` every `everyMs` until it returns true (then true) or `forMs` passed (then false). */
export async function pollUntil(check: () => Promise<boolean>, everyMs: number, forMs: number): Promise<boolean> {
  const deadline = performance.now() + forMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export function percentiles(samples: readonly number[]): { p50: number; p95: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN);
  return { p50: at(0.5), p95: at(0.95), max: at(1) };
}

function randomIsbn13(): string {
  const digits = `979${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
  const sum = [...digits].reduce((total, digit, index) => total + Number(digit) * (index % 2 === 0 ? 1 : 3), 0);
  return `${digits}${(10 - (sum % 10)) % 10}`;
}
