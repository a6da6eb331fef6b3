/**
 * Thrown by the protocol core only for malformed input (not canonical JSON, a missing field, an
 * unknown room version). A denied event is not an error: auth checks return a result instead.
 */
export class MatrixFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MatrixFormatError';
  }
}
