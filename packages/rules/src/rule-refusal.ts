/**
 * Why one rule cannot be loaded, with the 1-based line of the construct at fault. Thrown inside the compiler and
 * caught per rule document, so that one bad rule is reported and the others still load.
 */
export class RuleRefusal extends Error {
  override readonly name = 'RuleRefusal';
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}
