/** A fleet answer that is not a success: its HTTP status and the one error shape's code. */
export class FleetError extends Error {
  constructor(
    readonly status: 404 | 409 | 400 | 503,
    readonly code: 'NOT_FOUND' | 'CONFLICT' | 'USAGE' | 'FLEET_UNAVAILABLE',
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'FleetError';
  }
}
