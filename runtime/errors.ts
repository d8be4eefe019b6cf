/**
 * The one catalogue of coded errors. Ingest rejects carry these codes into the dead-letter
 * table; the API answers with them (and their HTTP status); tests assert by code.
 */
export const ERRORS = {
  // Ingest: why a payload was dead-lettered.
  PP_ERR_PAYLOAD_TOO_LARGE: { status: 413, title: 'payload larger than ingest.maxPayloadBytes' },
  PP_ERR_MALFORMED_JSON: { status: 400, title: 'payload is not valid JSON' },
  PP_ERR_SCHEMA: { status: 400, title: 'payload does not have the expected shape' },
  PP_ERR_NOT_FINITE: { status: 400, title: 'value is NaN or infinite' },
  PP_ERR_UNKNOWN_SENSOR: { status: 404, title: 'topic names no sensor or line in the plant model' },
  PP_ERR_UNIT: { status: 400, title: 'unit does not measure the sensor kind' },
  PP_ERR_OUT_OF_RANGE: { status: 400, title: 'value outside the sensor valid range' },
  PP_ERR_TIMESTAMP: {
    status: 400,
    title: 'timestamp missing, malformed or outside the accepted window',
  },
  PP_ERR_ACL_DENIED: { status: 403, title: 'device published outside its topic prefix' },
  // Sinks: a line the InfluxDB-compatible server rejected as bad data (dead-lettered, not retried).
  PP_ERR_SINK_REJECTED: { status: 400, title: 'InfluxDB rejected the line as bad data' },
  // API.
  PP_ERR_BAD_REQUEST: { status: 400, title: 'request parameters are invalid' },
  PP_ERR_NOT_FOUND: { status: 404, title: 'no such resource' },
  PP_ERR_UNAUTHORIZED: { status: 401, title: 'missing or invalid bearer token' },
  PP_ERR_FORBIDDEN: { status: 403, title: 'token role may not use this route' },
  PP_ERR_RATE_LIMITED: { status: 429, title: 'too many requests for this token or address' },
  PP_ERR_CONFLICT: { status: 409, title: 'the resource is not in a state that allows this' },
  PP_ERR_UNAVAILABLE: { status: 503, title: 'a component is not ready' },
  PP_ERR_INTERNAL: { status: 500, title: 'internal error' },
  // Configuration.
  PP_ERR_CONFIG: { status: 500, title: 'invalid configuration' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

/** An error with a catalogue code; the API turns it into `{ error: { code, message } }`. */
export class CodedError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'CodedError';
  }

  get status(): number {
    return ERRORS[this.code].status;
  }
}
