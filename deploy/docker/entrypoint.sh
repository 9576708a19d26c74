#!/bin/sh
# Entry point of the Book Bazaar image: runs its arguments (the compose `command`), after one
# convenience: AUTH_SIGNING_KEY_FILE names a file holding the signing key (a Docker secret, or the
# dev-only key written by the compose `keys` service) and is used when AUTH_SIGNING_KEY is empty.
set -eu

if [ -z "${AUTH_SIGNING_KEY:-}" ] && [ -n "${AUTH_SIGNING_KEY_FILE:-}" ]; then
  if [ ! -r "$AUTH_SIGNING_KEY_FILE" ]; then
    echo "AUTH_SIGNING_KEY_FILE=$AUTH_SIGNING_KEY_FILE cannot be read" >&2
    exit 1
  fi
  AUTH_SIGNING_KEY="$(cat "$AUTH_SIGNING_KEY_FILE")"
  export AUTH_SIGNING_KEY
fi
unset AUTH_SIGNING_KEY_FILE

exec "$@"
