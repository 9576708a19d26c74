/**
 * Test-only Kafka broker: librdkafka's mock cluster (see ./mock-broker.c) run as
 * a child process. It speaks the Kafka protocol on loopback, so kafkajs can talk
 * to it like a real broker, with known limits (see ./README.md):
 * no admin.createTopics and no idempotent producer (its metadata names
 * controller id 0, which does not exist); pre-create topics with `topics`.
 *
 *   const kafka = await startKafkaMock({ topics: [{ name: 'bazaar.orders', partitions: 3 }] });
 *   new Kafka({ brokers: kafka.brokers, ... });
 *   await kafka.setBrokerDown(1); ...; await kafka.setBrokerUp(1);
 *   await kafka.stop();
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const buildScript = fileURLToPath(new URL('./build.sh', import.meta.url));

export interface KafkaMockTopic {
  name: string;
  partitions: number;
}

export interface KafkaMockOptions {
  /** Topics created before the broker reports ready. Others are auto-created (4 partitions) on first produce. */
  topics?: KafkaMockTopic[];
  /** Number of brokers in the mock cluster, ids 1..n. Default 1. */
  brokers?: number;
  /** How long to wait for build + start. Default 120 s (a first build may apt-get install). */
  startTimeoutMs?: number;
}

export interface KafkaMock {
  /** Bootstrap addresses ("127.0.0.1:port"); ports are random on every start. */
  brokers: string[];
  /** Take broker `id` (1..n) down: connections are closed and refused until setBrokerUp. */
  setBrokerDown(id: number): Promise<void>;
  setBrokerUp(id: number): Promise<void>;
  /** Stop the cluster. Safe to call more than once. */
  stop(): Promise<void>;
}

let built: Promise<string> | undefined;

/** Build the mock-broker binary once per process (build.sh itself is idempotent). */
function ensureBuilt(): Promise<string> {
  built ??= new Promise<string>((resolve, reject) => {
    execFile('bash', [buildScript], { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const binary = stdout.trim().split('\n').pop() ?? '';
      if (err || binary === '') {
        reject(new Error(`kafka-mock: build.sh failed: ${stderr.trim() || String(err)}`));
      } else {
        resolve(binary);
      }
    });
  });
  // Do not cache a failure: a later call may succeed (e.g. after installing packages).
  built.catch(() => {
    built = undefined;
  });
  return built;
}

export async function startKafkaMock(options: KafkaMockOptions = {}): Promise<KafkaMock> {
  const brokerCount = options.brokers ?? 1;
  if (!Number.isInteger(brokerCount) || brokerCount < 1 || brokerCount > 64) {
    throw new Error(`kafka-mock: brokers must be an integer 1..64, got ${brokerCount}`);
  }
  const args = ['--brokers', String(brokerCount)];
  for (const topic of options.topics ?? []) {
    if (!topic.name || topic.name.includes(':') || !Number.isInteger(topic.partitions) || topic.partitions < 1) {
      throw new Error(`kafka-mock: invalid topic ${JSON.stringify(topic)}`);
    }
    args.push('--topic', `${topic.name}:${topic.partitions}`);
  }

  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  const binary = await withTimeout(ensureBuilt(), startTimeoutMs, 'building mock-broker');

  // stdin stays a pipe for the child's whole life: when this process dies, the
  // pipe closes and mock-broker exits, so it can never be orphaned.
  const child: ChildProcessWithoutNullStreams = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8192);
  });
  child.on('error', (err) => {
    stderr += `\n${err.message}`;
  });
  child.stdin.on('error', () => {
    /* EPIPE after the child exited; reported through 'exit' instead */
  });

  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null)));
  });
  let hasExited = false;
  const pending: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  let onBootstrap: ((line: string) => void) | undefined;

  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (onBootstrap) {
      onBootstrap(line);
      return;
    }
    const waiter = pending.shift();
    if (!waiter) return;
    if (line === 'OK') waiter.resolve();
    else waiter.reject(new Error(`kafka-mock: ${line}`));
  });
  void exited.then((code) => {
    hasExited = true;
    for (const waiter of pending.splice(0)) {
      waiter.reject(new Error(`kafka-mock: mock-broker exited (code ${code}) ${stderr.trim()}`));
    }
  });

  const bootstrap = await withTimeout(
    new Promise<string>((resolve, reject) => {
      onBootstrap = (line) => {
        onBootstrap = undefined;
        if (line.startsWith('BOOTSTRAP=')) resolve(line.slice('BOOTSTRAP='.length));
        else reject(new Error(`kafka-mock: unexpected first line ${JSON.stringify(line)}`));
      };
      child.once('error', reject);
      void exited.then((code) =>
        reject(new Error(`kafka-mock: mock-broker exited with code ${code} before ready: ${stderr.trim()}`)),
      );
    }),
    10_000,
    'waiting for BOOTSTRAP',
  ).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });

  const command = (line: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (hasExited) {
        reject(new Error(`kafka-mock: mock-broker is not running (${line})`));
        return;
      }
      pending.push({ resolve, reject });
      child.stdin.write(`${line}\n`);
    });

  const checkId = (id: number): void => {
    if (!Number.isInteger(id) || id < 1 || id > brokerCount) {
      throw new Error(`kafka-mock: broker id must be 1..${brokerCount}, got ${id}`);
    }
  };

  let stopping: Promise<void> | undefined;
  return {
    brokers: bootstrap.split(','),
    async setBrokerDown(id) {
      checkId(id);
      await command(`down ${id}`);
    },
    async setBrokerUp(id) {
      checkId(id);
      await command(`up ${id}`);
    },
    stop() {
      stopping ??= (async () => {
        if (!hasExited) {
          child.stdin.end(); // EOF => clean shutdown
          const term = setTimeout(() => child.kill('SIGTERM'), 3_000);
          const kill = setTimeout(() => child.kill('SIGKILL'), 6_000);
          await exited;
          clearTimeout(term);
          clearTimeout(kill);
        }
        lines.close();
      })();
      return stopping;
    },
  };
}

/** Whether the mock broker can be built and started here; `reason` explains why not. */
export async function kafkaMockAvailable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    const mock = await startKafkaMock();
    await mock.stop();
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kafka-mock: timed out after ${ms} ms ${what}`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
