/** Errors that mean the connection was refused, closed or reset before any response byte came back. */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNREFUSED']);

/**
 * Whether an HTTP request failed before its answer began (looked for along the error's causes, where
 * fetch and undici put the socket's code). Such a request was never answered, and on an idle
 * keep-alive socket never even read, so a client may send it again at once.
 */
export function wasResetBeforeResponse(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && RESET_CODES.has(code)) return true;
  }
  return false;
}
