/**
 * The database named by the configuration cannot be opened: the message names the target without
 * its password, so that whoever reads it knows which setting to look at.
 */
export class DatabaseOpenError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'DatabaseOpenError';
  }
}
