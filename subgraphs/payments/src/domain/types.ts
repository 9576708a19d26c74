/**
 * An order as this subgraph refers to it: the orders subgraph resolves the rest.
 * @mapper
 */
export interface OrderReference {
  __typename: 'Order';
  id: string;
}

/**
 * A user as this subgraph refers to it: the users subgraph resolves the rest.
 * @mapper
 */
export interface UserReference {
  id: string;
}
