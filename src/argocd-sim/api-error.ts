// gRPC status codes as Argo CD's grpc-gateway reports them, and their HTTP mapping.
export const GrpcCode = {
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Internal: 13,
  Unavailable: 14,
  Unauthenticated: 16,
} as const;

const httpByCode: Record<number, number> = {
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  11: 400,
  13: 500,
  14: 503,
  16: 401,
};

const statusText: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }

  get httpStatus(): number {
    return httpByCode[this.code] ?? 500;
  }

  get httpStatusText(): string {
    return statusText[this.httpStatus] ?? 'Internal Server Error';
  }

  body() {
    return { error: this.message, code: this.code, message: this.message };
  }
}

export const invalidArgument = (msg: string) => new ApiError(GrpcCode.InvalidArgument, msg);
export const failedPrecondition = (msg: string) => new ApiError(GrpcCode.FailedPrecondition, msg);
export const notFound = (msg: string) => new ApiError(GrpcCode.NotFound, msg);
export const permissionDenied = (msg = 'permission denied') => new ApiError(GrpcCode.PermissionDenied, msg);
export const unauthenticated = (msg: string) => new ApiError(GrpcCode.Unauthenticated, msg);
export const internal = (msg: string) => new ApiError(GrpcCode.Internal, msg);
export const appNotFound = (name: string) => notFound(`applications.argoproj.io "${name}" not found`);
