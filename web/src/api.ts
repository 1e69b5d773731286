// The one way the app talks to the server: same-origin fetches carrying the session cookie
// (HttpOnly: the app never sees it) and, for writes, the session's CSRF token, kept in memory
// only. The API key is sent once, in the sign-in body, and kept nowhere.
let csrf = "";

export interface Session {
  tenant_id: string;
  role: string;
  member_key: string | null;
  csrf_token: string;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
    public body: unknown,
  ) {
    super(message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return undefined as T;
  const data: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const problem = (data ?? {}) as { detail?: string; title?: string };
    throw new ApiError(response.status, problem.detail || problem.title || response.statusText, data);
  }
  return data as T;
}

export async function signIn(apiKey: string): Promise<Session> {
  const session = await api<Session>("POST", "/session", { api_key: apiKey });
  csrf = session.csrf_token;
  return session;
}

export async function currentSession(): Promise<Session | null> {
  try {
    const session = await api<Session>("GET", "/session");
    csrf = session.csrf_token;
    return session;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export async function signOut(): Promise<void> {
  await api<void>("DELETE", "/session");
  csrf = "";
}
