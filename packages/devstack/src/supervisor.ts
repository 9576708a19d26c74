import type { DevStack } from './stack';

/**
 * `npm start`'s answer to a process that dies on its own (a crashed subgraph, a killed Postgres):
 * it stops the whole stack and says which process died, in one line, with exit code 1. It does not
 * restart: a half-working shop that silently lost a service, or a restart loop hiding a bug, is
 * worse on a developer's machine than a clear stop (docker compose and Kubernetes do restart).
 */
export function superviseStack(stack: DevStack, stop: (reason: string, exitCode: number) => void, isStopping: () => boolean): void {
  const died = (name: string, code: number | null) => {
    if (!isStopping()) stop(`${name} died (exit code ${code}): stopping the whole stack (npm start never restarts a service)`, 1);
  };
  for (const service of stack.services) void service.exited.then((code) => died(service.name, code));
  void stack.postgresExited?.then((code) => died('postgres', code));
}
