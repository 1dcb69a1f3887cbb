import { ConfigError } from '../core/errors.ts';

const SLOT = /\{\{([A-Za-z]+)\}\}/gu;

/** A template cut once into literals and slot names; filling it is a join of escaped values. */
export type Slotted = (values: Record<string, string>) => string;

export function slotted(template: string): Slotted {
  const literals: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const match of template.matchAll(SLOT)) {
    literals.push(template.slice(last, match.index));
    names.push(match[1] as string);
    last = match.index + match[0].length;
  }
  literals.push(template.slice(last));
  return (values) => {
    let out = literals[0] as string;
    for (let i = 0; i < names.length; i += 1) {
      const value = values[names[i] as string];
      if (value === undefined) throw new ConfigError(`template slot {{${names[i]}}} has no value`);
      out += escapeHtml(value) + literals[i + 1];
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

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/gu, (c) => ESCAPES[c] as string);
}
