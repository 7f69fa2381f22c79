import { isIP } from 'node:net';

export type SourceIpMatch = { kind: 'ip'; value: string } | { kind: 'name'; value: string };

const LOOKS_NUMERIC_RE = /^[0-9./]+$/;
const HOST_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,252}$/;

/**
 * CloudTrail's sourceIPAddress is an address or a service name (`ec2.amazonaws.com`, `AWS Internal`). Addresses and
 * CIDR blocks match the `ip`-typed field (term queries on an ip field accept CIDR); names match the raw text. Anything
 * that looks like an address but does not parse is an error rather than a silent name match.
 */
export function classifySourceIp(input: string): SourceIpMatch | undefined {
  const slash = input.indexOf('/');
  const address = slash === -1 ? input : input.slice(0, slash);
  const version = isIP(address);
  if (version !== 0) {
    if (slash === -1) return { kind: 'ip', value: input };
    const bitsText = input.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bitsText)) return undefined;
    const bits = Number(bitsText);
    if (bits > (version === 4 ? 32 : 128)) return undefined;
    return { kind: 'ip', value: input };
  }
  if (LOOKS_NUMERIC_RE.test(input) || input.includes(':') || slash !== -1) return undefined;
  return HOST_NAME_RE.test(input) ? { kind: 'name', value: input } : undefined;
}
