/** An order as this subgraph refers to it: the orders subgraph resolves the rest. */
export interface OrderReference {
  __typename: 'Order';
  id: string;
}
