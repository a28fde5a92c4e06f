import { validateCronExpression } from 'cron';
import { z } from 'zod';

/**
 * The parsers configuration variables are declared with: each is a zod schema from the variable's
 * trimmed, non-empty text to its value, whose one issue message becomes the variable's line in the
 * start-up error (`PORT: must be an integer between 0 and 65535, got "abc"`). Parsers of secrets and
 * URLs (which may carry credentials) never echo the value.
 */
export type VariableParser<T> = z.ZodType<T, string>;

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** One check, one message: zod's own messages would name types, not what the operator should set. */
function parser<T>(parse: (raw: string) => Parsed<T>): VariableParser<T> {
  return z.string().transform((raw, ctx) => {
    const parsed = parse(raw);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: 'custom', message: parsed.message });
    return z.NEVER;
  });
}

/** Quotes a non-secret value for a message, shortened so a stray blob cannot flood the log. */
function shown(raw: string): string {
  return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 57)}...` : raw);
}

/** Any text, as set. */
export const text: VariableParser<string> = z.string();

export function integer(min: number, max: number, describe: string): VariableParser<number> {
  return parser((raw) => {
    const value = Number(raw);
    return /^[+-]?\d+$/.test(raw) && Number.isSafeInteger(value) && value >= min && value <= max
      ? { ok: true, value }
      : { ok: false, message: `must be ${describe}, got ${shown(raw)}` };
  });
}

export const positiveSeconds: VariableParser<number> = parser((raw) => {
  const value = Number(raw);
  return /^\d+(\.\d+)?$/.test(raw) && value > 0
    ? { ok: true, value }
    : { ok: false, message: `must be a number of seconds greater than 0, got ${shown(raw)}` };
});

export function oneOf<const T extends readonly string[]>(values: T): VariableParser<T[number]> {
  return parser((raw) =>
    (values as readonly string[]).includes(raw)
      ? { ok: true, value: raw as T[number] }
      : { ok: false, message: `must be ${values.length === 2 ? `"${values[0]}" or "${values[1]}"` : `one of ${values.join(', ')}`}, got ${shown(raw)}` },
  );
}

function parseBoolean(raw: string): Parsed<boolean> {
  const value = raw.toLowerCase();
  if (value === 'true' || value === '1') return { ok: true, value: true };
  if (value === 'false' || value === '0') return { ok: true, value: false };
  return { ok: false, message: `must be true or false, got ${shown(raw)}` };
}

export const boolean: VariableParser<boolean> = parser(parseBoolean);

/** Never echoes the value: a URL may carry a password. */
export function url(protocols: readonly string[], describe: string): VariableParser<string> {
  return parser((raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      return { ok: false, message: 'is not a valid URL' };
    }
    if (!protocols.includes(parsed.protocol)) return { ok: false, message: `must be ${describe}` };
    if (!parsed.hostname && !parsed.searchParams.has('host')) return { ok: false, message: 'has no host' };
    return { ok: true, value: raw };
  });
}

const KURRENTDB_SCHEMES = ['kurrentdb', 'kurrent', 'kdb', 'esdb'].flatMap((scheme) => [scheme, `${scheme}+discover`]);

/** The client parses these itself (hosts may be a comma-separated list); here: scheme and a host. Never echoed. */
export const kurrentdbUrl: VariableParser<string> = parser((raw) => {
  const match = /^([a-z+]+):\/\/(.*)$/i.exec(raw);
  if (!match) return { ok: false, message: 'is not a valid URL' };
  if (!KURRENTDB_SCHEMES.includes(match[1]!.toLowerCase())) {
    return { ok: false, message: 'must be a kurrentdb:// (or kurrentdb+discover://, kurrent://, kdb://, esdb://) connection string' };
  }
  const hosts = match[2]!.replace(/^[^@/?]*@/, '').split(/[/?]/)[0];
  return hosts ? { ok: true, value: raw } : { ok: false, message: 'has no host' };
});

/** A token or key: never echoed. */
export const secretToken: VariableParser<string> = parser((raw) =>
  /\s/.test(raw) ? { ok: false, message: 'must not contain whitespace' } : { ok: true, value: raw },
);

/** A token that must also be long enough to guess at no better than at random. Never echoed. */
export const longSecretToken: VariableParser<string> = parser((raw) =>
  raw.length >= 24 && !/\s/.test(raw) ? { ok: true, value: raw } : { ok: false, message: 'must be at least 24 characters without whitespace' },
);

export const hostName: VariableParser<string> = parser((raw) =>
  /^[A-Za-z0-9.:[\]%_-]+$/.test(raw) ? { ok: true, value: raw } : { ok: false, message: `must be a host name or an IP address, got ${shown(raw)}` },
);

/** What Express's `trust proxy` takes: true/false, a hop count, or addresses and subnets. */
export const trustProxy: VariableParser<boolean | number | string> = parser<boolean | number | string>((raw) => {
  const flag = parseBoolean(raw);
  if (flag.ok) return flag;
  if (/^\d{1,2}$/.test(raw)) return { ok: true, value: Number(raw) };
  const parts = raw.split(',').map((p) => p.trim());
  return parts.every((p) => /^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)$/.test(p))
    ? { ok: true, value: parts.join(',') }
    : { ok: false, message: `must be true, false, a number of hops, or addresses/subnets separated by commas, got ${shown(raw)}` };
});

/** Six cron fields (seconds first), as @nestjs/schedule takes them, or `off`. */
export const cronOrOff: VariableParser<string> = parser((raw) => {
  if (raw === 'off') return { ok: true, value: raw };
  const checked = /^(\S+\s+){5}\S+$/.test(raw) ? validateCronExpression(raw) : { valid: false, error: undefined };
  return checked.valid
    ? { ok: true, value: raw }
    : {
        ok: false,
        message: `must be a cron expression with six fields (seconds first, e.g. "0 20 * * * *") or off, got ${shown(raw)}${checked.error ? ` (${checked.error.message})` : ''}`,
      };
});
