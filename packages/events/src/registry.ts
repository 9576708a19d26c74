import type { EventDefinition } from './envelope';

/** A set of event definitions, looked up by type and version (given them by packages/contracts). */
export interface EventRegistry {
  readonly definitions: readonly EventDefinition[];
  /** Every topic the definitions publish on, each once. */
  readonly topics: readonly string[];
  find(type: string, version: number): EventDefinition | undefined;
}

export const eventKey = (type: string, version: number) => `${type}@v${version}`;

/** Refuses two definitions of one type and version: a consumer could not tell which payload it got. */
export function createEventRegistry(definitions: readonly EventDefinition[]): EventRegistry {
  const byKey = new Map<string, EventDefinition>();
  for (const definition of definitions) {
    const key = eventKey(definition.type, definition.version);
    if (byKey.has(key)) throw new Error(`two definitions of ${definition.type} v${definition.version}`);
    byKey.set(key, definition);
  }
  return {
    definitions,
    topics: [...new Set(definitions.map(({ topic }) => topic))],
    find: (type, version) => byKey.get(eventKey(type, version)),
  };
}
