/**
 * A small YAML emitter for JSON-like values (what the AsyncAPI document needs: objects, arrays,
 * strings, finite numbers, booleans, null). Block style, two-space indent, keys in insertion order.
 * Strings that YAML could read as something else (numbers, booleans, dates, anything with special
 * characters) are written as double-quoted JSON strings, which YAML reads identically.
 */

const plainPattern = /^[A-Za-z_/$][A-Za-z0-9_ ./()$+-]*$/;
const reservedWords = new Set(['true', 'false', 'null', 'yes', 'no', 'on', 'off', 'y', 'n', '~']);

function scalarText(value: string): string {
  const plain =
    plainPattern.test(value) &&
    !reservedWords.has(value.toLowerCase()) &&
    !value.endsWith(' ') &&
    !value.includes(' #') &&
    !value.includes(': ');
  return plain ? value : JSON.stringify(value);
}

function keyText(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_.$/-]*$/.test(key) && !reservedWords.has(key.toLowerCase())
    ? key
    : JSON.stringify(key);
}

function inline(value: unknown): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`YAML: non-finite number ${value}`);
    return String(value);
  }
  if (typeof value === 'string') return scalarText(value);
  if (Array.isArray(value) && value.length === 0) return '[]';
  if (typeof value === 'object' && Object.keys(value as object).length === 0) return '{}';
  if (typeof value === 'object') return undefined;
  throw new TypeError(`YAML: cannot emit a ${typeof value}`);
}

function emit(value: unknown, indent: string, lines: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      const text = inline(item);
      if (text !== undefined) {
        lines.push(`${indent}- ${text}`);
        continue;
      }
      const nested: string[] = [];
      emit(item, `${indent}  `, nested);
      // The first line of the nested block goes on the dash line.
      const [first = '', ...rest] = nested;
      lines.push(`${indent}- ${first.slice(indent.length + 2)}`, ...rest);
    }
    return;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (item === undefined) continue;
    const text = inline(item);
    if (text !== undefined) {
      lines.push(`${indent}${keyText(key)}: ${text}`);
    } else {
      lines.push(`${indent}${keyText(key)}:`);
      emit(item, Array.isArray(item) ? `${indent}  ` : `${indent}  `, lines);
    }
  }
}

/** The value as a YAML document (ends with a newline). */
export function toYaml(value: unknown): string {
  const text = inline(value);
  if (text !== undefined) return `${text}\n`;
  const lines: string[] = [];
  emit(value, '', lines);
  return `${lines.join('\n')}\n`;
}
