import type { ApolloServerPlugin, BaseContext, GraphQLRequestContextDidResolveOperation } from '@apollo/server';
import {
  getArgumentValues,
  getNullableType,
  getVariableValues,
  GraphQLError,
  isInputObjectType,
  isListType,
  isScalarType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLInputType,
} from 'graphql';

/**
 * Clean input, checked once for every service before any resolver runs: every string in every
 * argument (input objects and lists included) is refused with BAD_USER_INPUT naming the field
 * when it holds NUL, a lone surrogate or a control character (Unicode Cc; line breaks and tabs are
 * allowed in long-text fields), or is longer than the shared cap. Field-specific rules (trimming,
 * shorter limits, formats) stay in each domain's zod schemas. docs/security.md lists the values.
 */
export const INPUT_RULES = {
  /** Fields that hold prose and may span lines, by input field or argument name. */
  longTextFields: new Set(['body', 'description', 'note', 'reason']),
  maxLength: 1_000,
  maxLongTextLength: 10_000,
} as const;

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex -- as above, minus line breaks and tab
const CONTROL_IN_LONG_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export interface InputProblem {
  field: string;
  message: string;
}

/** What is wrong with one string input, or undefined when it is clean. */
export function stringProblem(value: string, longText: boolean): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode (it holds a lone surrogate)';
  if ((longText ? CONTROL_IN_LONG_TEXT : CONTROL).test(value)) {
    return longText ? 'must not contain control characters other than line breaks and tabs' : 'must not contain control characters or line breaks';
  }
  const max = longText ? INPUT_RULES.maxLongTextLength : INPUT_RULES.maxLength;
  if (value.length > max) return `must be at most ${max} characters`;
  return undefined;
}

function collect(value: unknown, type: GraphQLInputType | undefined, path: string, name: string, problems: InputProblem[]): void {
  if (value === null || value === undefined) return;
  const nullable = type && getNullableType(type);
  if (typeof value === 'string') {
    // Enum values arrive as strings too; they were checked against the schema already.
    if (nullable && !isScalarType(nullable)) return;
    const message = stringProblem(value, INPUT_RULES.longTextFields.has(name));
    if (message) problems.push({ field: path, message });
    return;
  }
  if (Array.isArray(value)) {
    const item = nullable && isListType(nullable) ? (nullable.ofType as GraphQLInputType) : undefined;
    value.forEach((entry, index) => collect(entry, item, `${path}.${index}`, name, problems));
    return;
  }
  if (typeof value === 'object') {
    // An input object, or a JSON-like scalar (`_Any` representations), whose keys are walked untyped.
    const fields = nullable && isInputObjectType(nullable) ? nullable.getFields() : undefined;
    for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
      collect(entry, fields?.[key]?.type, `${path}.${key}`, key, problems);
    }
  }
}

/** Whether every string in a JSON value passes the strictest rule (no line breaks, the short cap). */
function stringsStrictlyClean(value: unknown): boolean {
  if (typeof value === 'string') return stringProblem(value, false) === undefined;
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.every(stringsStrictlyClean);
  for (const key in value) if (!stringsStrictlyClean((value as Record<string, unknown>)[key])) return false;
  return true;
}

/** Per parsed document (Apollo reuses one object per query text): are all its string literals strictly clean? */
const cleanLiterals = new WeakMap<DocumentNode, boolean>();

function literalsStrictlyClean(document: DocumentNode): boolean {
  let clean = cleanLiterals.get(document);
  if (clean === undefined) {
    clean = true;
    visit(document, {
      [Kind.STRING](node) {
        if (stringProblem(node.value, false) !== undefined) clean = false;
      },
    });
    cleanLiterals.set(document, clean);
  }
  return clean;
}

/** The problems of every argument of every field the operation selects. */
function operationProblems({ schema, document, operation, request }: GraphQLRequestContextDidResolveOperation<BaseContext>): InputProblem[] {
  if (!operation) return [];
  // Every field's arguments come from the document's literals and the variables (schema defaults
  // are the server's own). When every string there passes the strictest rule, no argument can fail
  // a looser one: skip the typed walk, which cost ~5 % of the router's CPU per request.
  if (literalsStrictlyClean(document) && stringsStrictlyClean(request.variables)) return [];
  const variables = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
  // Variables that do not fit their types are refused by execution with its own BAD_USER_INPUT.
  if (variables.errors) return [];
  const problems: InputProblem[] = [];
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const field = typeInfo.getFieldDef();
        if (!field || !node.arguments?.length) return;
        let values: Record<string, unknown>;
        try {
          values = getArgumentValues(field, node, variables.coerced);
        } catch {
          return; // an argument that cannot be coerced is refused by execution
        }
        for (const argument of field.args) collect(values[argument.name], argument.type, argument.name, argument.name, problems);
      },
    }),
  );
  return problems;
}

export const cleanInputPlugin: ApolloServerPlugin<BaseContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation(requestContext) {
        const problems = operationProblems(requestContext);
        if (problems.length === 0) return;
        const summary = problems.map(({ field, message }) => `${field}: ${message}`).join('; ');
        throw new GraphQLError(`Invalid input: ${summary}`, {
          extensions: { code: 'BAD_USER_INPUT', fields: problems, http: { status: 400 } },
        });
      },
    };
  },
};
