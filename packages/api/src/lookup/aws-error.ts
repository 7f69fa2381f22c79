/** An error answered in the AWS JSON protocol shape: HTTP status, `__type` and `message`. */
export class AwsError extends Error {
  override readonly name = 'AwsError';
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}
