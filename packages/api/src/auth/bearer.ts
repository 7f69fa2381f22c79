/** `Authorization: Bearer <keyId>.<secret>`; undefined when the header is absent or not of that form. */
export function parseBearer(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header) return undefined;
  const m = /^Bearer ([A-Za-z0-9]{1,64})\.([A-Za-z0-9_-]{1,256})$/.exec(header.trim());
  if (!m) return undefined;
  return { id: m[1] as string, secret: m[2] as string };
}
