/**
 * The consuming side of bench/hops.ts, in a process of its own as in the real stack: prints
 * "subscribed", then the id of every message it handles.
 * Usage: tsx hop-consumer.ts postgres <broker url> | kafka <brokers>
 */
import { createKafkaTransport, createPostgresTransport } from '@bazaar/events/transports';
import { logLevel } from 'kafkajs';

const [kind, address] = process.argv.slice(2);
if (!address || (kind !== 'postgres' && kind !== 'kafka')) throw new Error('usage: hop-consumer.ts postgres <url> | kafka <brokers>');
const transport =
  kind === 'postgres'
    ? createPostgresTransport({ connectionString: address, applicationName: 'bench-consumer' })
    : createKafkaTransport({ brokers: address.split(','), clientId: 'bench-consumer', logLevel: logLevel.NOTHING });
await transport.subscribe({ group: 'bench', topics: ['bench.hops'], handle: async (message) => void process.stdout.write(`${message.id}\n`) });
process.stdout.write('subscribed\n');
process.on('disconnect', () => void transport.close().then(() => process.exit(0)));
