// The image's HEALTHCHECK: GET /health of the service in this container. Its port is the one
// *_PORT variable the service was given (ROUTER_PORT, BOOKS_PORT, ...), or HEALTHCHECK_PORT.
const port = process.env.HEALTHCHECK_PORT ?? Object.entries(process.env).find(([name]) => /^[A-Z]+_PORT$/.test(name))?.[1];
if (!port) process.exit(1);
fetch(`http://127.0.0.1:${port}/health`).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
