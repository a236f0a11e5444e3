/** An answer that is not a success: the API's error code, message and details, and the HTTP status. */
export class TrainyardApiError extends Error {
  constructor(
    /** A code of the error catalogue; `unreachable` when the API could not be reached, `http_<status>` for an answer not in the API's format. */
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'TrainyardApiError';
  }

  static async fromResponse(response: Response): Promise<TrainyardApiError> {
    const text = await response.text();
    try {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
      if (body.error?.code) return new TrainyardApiError(body.error.code, body.error.message ?? '', response.status, body.error.details);
    } catch {
      // not the API's format (a proxy's page, say)
    }
    return new TrainyardApiError(
      `http_${response.status}`,
      `${response.status} ${response.statusText}: ${text.slice(0, 200)}`,
      response.status,
    );
  }
}
