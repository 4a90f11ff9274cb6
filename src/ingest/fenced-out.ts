/**
 * A commit of events refused: the distributed mode's worker no longer holds these partitions, another
 * took them over (store/postgres/partition-fence.ts). Nothing of it was written.
 */
export class FencedOut extends Error {
  constructor(readonly partitions: readonly number[]) {
    super(`partitions ${partitions.join(', ')} were taken over by another worker; not committed`);
    this.name = 'FencedOut';
  }
}
