/**
 * The one way the dashboard talks to Vigil. The session is an HttpOnly cookie the page cannot read;
 * every state-changing request also carries the session's CSRF token in a header, which a page of
 * another site can neither read nor send.
 */

export interface Problem {
  readonly code: string;
  readonly message: string;
  readonly path?: string;
  /** The line of an uploaded file the problem is on (CSV uploads). */
  readonly line?: number;
  readonly requestId?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly path: string | undefined;
  readonly line: number | undefined;
  readonly requestId: string | undefined;
  /** Seconds, from the retry-after header of a 429. */
  readonly retryAfter: number | undefined;

  constructor(status: number, problem: Problem, retryAfter: number | undefined) {
    super(problem.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = problem.code;
    this.path = problem.path;
    this.line = problem.line;
    this.requestId = problem.requestId;
    this.retryAfter = retryAfter;
  }
}

let csrfToken: string | null = null;
let onSignedOut: () => void = () => {};

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the server says the session is gone (401 unauthorized), so the app can show sign-in. */
export function onSessionEnded(handler: () => void): void {
  onSignedOut = handler;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RequestOptions {
  /** Do not treat a 401 as the end of the session (sign-in itself answers 401 for a wrong password). */
  readonly signInRequest?: boolean;
  readonly signal?: AbortSignal;
  /** Send `body` as this text type (e.g. text/csv) rather than as JSON; the body must then be a string. */
  readonly contentType?: string;
}

export async function request<T>(method: Method, url: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const raw = options.contentType !== undefined && typeof body === 'string';
  if (body !== undefined) headers['content-type'] = raw ? (options.contentType as string) : 'application/json';
  if (method !== 'GET' && csrfToken !== null) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body !== undefined && { body: raw ? (body as string) : JSON.stringify(body) }),
      ...(options.signal && { signal: options.signal }),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, { code: 'network_error', message: 'Vigil cannot be reached. Check your connection and try again.' }, undefined);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const problem = (parsed as { error?: Problem } | undefined)?.error ?? {
      code: 'http_error',
      message: `Vigil answered ${response.status} ${response.statusText}.`,
    };
    const retry = Number(response.headers.get('retry-after'));
    const error = new ApiError(response.status, problem, Number.isFinite(retry) && retry > 0 ? retry : undefined);
    if (response.status === 401 && problem.code === 'unauthorized' && !options.signInRequest) onSignedOut();
    throw error;
  }
  return parsed as T;
}

export const api = {
  get: <T>(url: string, options?: RequestOptions) => request<T>('GET', url, undefined, options),
  post: <T>(url: string, body: unknown = {}, options?: RequestOptions) => request<T>('POST', url, body, options),
  /** POST a text body (a CSV file, say) as `contentType`, with the CSRF header like any other POST. */
  postText: <T>(url: string, text: string, contentType: string, options?: RequestOptions) =>
    request<T>('POST', url, text, { ...options, contentType }),
  put: <T>(url: string, body: unknown, options?: RequestOptions) => request<T>('PUT', url, body, options),
  delete: <T>(url: string, body?: unknown, options?: RequestOptions) => request<T>('DELETE', url, body, options),
};

/** A query string from the defined, non-empty values, in the order given. */
export function query(params: Readonly<Record<string, string | number | boolean | undefined | null>>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** The sentence to show a person for a failed call. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 429 && error.retryAfter !== undefined && !/again/i.test(error.message))
      return `${error.message} Try again in ${formatWait(error.retryAfter)}.`;
    return error.message;
  }
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}

export function formatWait(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
