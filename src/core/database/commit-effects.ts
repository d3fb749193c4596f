/**
 * What may happen only once a transaction has committed (counting a metric for a stored
 * mail), collected while the transaction runs. An attempt that rolls back is discarded with
 * its effects: a chunk stored again mail by mail, or a quarantine retry that ends in
 * quarantine again, counts nothing twice.
 */
export class CommitEffects {
  private effects: Array<() => void> = [];

  /** Collects an effect (bound, so it can be handed around as a function). */
  readonly add = (effect: () => void): void => {
    this.effects.push(effect);
  };

  /** Takes over the effects of a part that succeeded (a savepoint that was released). */
  adopt(part: CommitEffects): void {
    this.effects.push(...part.effects);
    part.effects = [];
  }

  /** After the commit: runs every collected effect once. */
  run(): void {
    const effects = this.effects;
    this.effects = [];
    for (const effect of effects) effect();
  }

  discard(): void {
    this.effects = [];
  }
}
