/**
 * A small JSON Schema (2020-12 subset) checker for the tests: enough for what the OpenAPI document
 * uses (type, properties, required, additionalProperties, items, enum, const, anyOf/oneOf, pattern,
 * lengths, minimum/maximum, local $ref). Returns the problems found; empty means valid.
 */
type Schema = Record<string, unknown>;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(expected: string, actual: string): boolean {
  return expected === actual || (expected === 'number' && actual === 'integer');
}

export function checkSchema(root: Schema, schema: unknown, value: unknown, path = '$'): string[] {
  if (schema === true || schema === undefined) return [];
  if (schema === false) return [`${path}: no value allowed`];
  const s = schema as Schema;
  if (typeof s.$ref === 'string') {
    const target = s.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, key) => (node as Schema | undefined)?.[key], root);
    if (target === undefined) return [`${path}: unresolved $ref ${s.$ref}`];
    return checkSchema(root, target, value, path);
  }
  const problems: string[] = [];
  const actual = typeOf(value);
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => typeMatches(t, actual)))
      return [`${path}: expected ${types.join('|')}, got ${actual}`];
  }
  if (s.const !== undefined && value !== s.const)
    problems.push(`${path}: expected ${JSON.stringify(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.includes(value))
    problems.push(`${path}: ${JSON.stringify(value)} not in enum`);
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = s[key];
    if (Array.isArray(options)) {
      const passing = options.filter(
        (option) => checkSchema(root, option, value, path).length === 0,
      ).length;
      if (key === 'anyOf' ? passing === 0 : passing !== 1)
        problems.push(`${path}: matches ${passing} of ${key}`);
    }
  }
  if (typeof value === 'string') {
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value))
      problems.push(`${path}: does not match ${s.pattern}`);
    if (typeof s.minLength === 'number' && value.length < s.minLength)
      problems.push(`${path}: shorter than ${s.minLength}`);
    if (typeof s.maxLength === 'number' && value.length > s.maxLength)
      problems.push(`${path}: longer than ${s.maxLength}`);
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum)
      problems.push(`${path}: below ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum)
      problems.push(`${path}: above ${s.maximum}`);
  }
  if (actual === 'array' && s.items !== undefined) {
    (value as unknown[]).forEach((item, i) =>
      problems.push(...checkSchema(root, s.items, item, `${path}[${i}]`)),
    );
  }
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    const properties = (s.properties ?? {}) as Record<string, unknown>;
    for (const key of (s.required ?? []) as string[])
      if (!(key in object)) problems.push(`${path}: missing ${key}`);
    for (const [key, child] of Object.entries(object)) {
      if (key in properties)
        problems.push(...checkSchema(root, properties[key], child, `${path}.${key}`));
      else if (s.additionalProperties === false)
        problems.push(`${path}: unexpected property ${key}`);
      else if (typeof s.additionalProperties === 'object')
        problems.push(...checkSchema(root, s.additionalProperties, child, `${path}.${key}`));
    }
  }
  return problems;
}
