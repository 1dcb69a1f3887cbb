import { ConfigError } from '../core/errors.ts';

/** `{{name}}` takes a value, escaped; `{{{name}}}` takes HTML the renderer built (and escaped) itself. */
const SLOT = /\{\{\{([A-Za-z]+)\}\}\}|\{\{([A-Za-z]+)\}\}/gu;

/** A template cut once into literals and slot names; filling it is a join of escaped values. */
export type Slotted = (values: Record<string, string>) => string;

export function slotted(template: string): Slotted {
  const literals: string[] = [];
  const names: string[] = [];
  const raw: boolean[] = [];
  let last = 0;
  for (const match of template.matchAll(SLOT)) {
    literals.push(template.slice(last, match.index));
    names.push((match[1] ?? match[2]) as string);
    raw.push(match[1] !== undefined);
    last = match.index + match[0].length;
  }
  literals.push(template.slice(last));
  // Literals copied flat once, so that every email is built from flat pieces.
  const flat = literals.map((literal) => Buffer.from(literal).toString());
  return (values) => {
    let out = flat[0] as string;
    for (let i = 0; i < names.length; i += 1) {
      const value = values[names[i] as string];
      if (value === undefined) throw new ConfigError(`template slot {{${names[i]}}} has no value`);
      out += (raw[i] ? value : escapeHtml(value)) + flat[i + 1];
    }
    return out;
  };
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

const SPECIAL = /[&<>"']/u;

export function escapeHtml(value: string): string {
  // Most values hold nothing to escape: test before replacing.
  return SPECIAL.test(value) ? value.replace(/[&<>"']/gu, (c) => ESCAPES[c] as string) : value;
}
