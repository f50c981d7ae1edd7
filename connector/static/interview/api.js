// Calls to the interview API: JSON in and out, the page's CSRF token, and this tab's writer id.
// Every call of the room goes through call(), which retries what is safe to retry. Each call is
// idempotent on the server: claim is a heartbeat, a repeated start returns the open take, stop
// only marks the take finished, a chunk is stored once per index, a repeated submit with the
// same checksum returns the submitted answer, text and finish return what was already saved.

const ATTEMPTS = 4;                // the first try and three more
const FIRST_RETRY_MS = 500;         // then doubling
const MAX_RETRY_AFTER_MS = 10000;   // a longer Retry-After: ask the candidate rather than sit still
const JITTER = 0.5;                 // each wait is its delay times 0.75 to 1.25
// The longest a call waits between its attempts before the candidate is asked what to do,
// when the server sets no Retry-After.
export const GIVE_UP_AFTER_MS = FIRST_RETRY_MS * (2 ** (ATTEMPTS - 1) - 1) * (1 + JITTER / 2);

export class ApiError extends Error {
  constructor(status, body, retryAfterMs = null) {
    super(body.detail || body.error || (status ? `HTTP ${status}` : "network error"));
    this.status = status;        // 0: the request never got an answer
    this.reason = body.error || (status ? "error" : "network");
    this.body = body;
    this.retryAfterMs = retryAfterMs;
  }
}

// Worth sending again as it was: the network failed, the server was busy or broken.
export function retryable(error) {
  return !(error instanceof ApiError) || error.status === 0 || error.status === 429 ||
    error.status >= 500;
}

// How long to wait before the next attempt, at most `cap`: the server's Retry-After, else the
// delay with jitter, so that many candidates cut off at once do not all come back at once.
export function backoff(error, delay, cap) {
  return Math.min(error?.retryAfterMs ?? delay * (1 + JITTER * (Math.random() - 0.5)), cap);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Seconds or an HTTP date, as RFC 9110 allows; null when absent or unreadable.
function retryAfter(response) {
  const value = response.headers.get("Retry-After");
  if (!value) return null;
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.max(ms, 0) : null;
}

const csrf = document.querySelector('meta[name="csrf-token"]').content;

// One id per tab: sessionStorage survives a reload of this tab but is not shared with others.
export function writerId(session) {
  const key = `writer:${session}`;
  let id = sessionStorage.getItem(key);
  if (!id) {
    id = crypto.randomUUID();
    sessionStorage.setItem(key, id);
  }
  return id;
}

async function send(url, init) {
  let response;
  try { response = await fetch(url, init); } catch { throw new ApiError(0, {}); }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data, retryAfter(response));
  return data;
}

export function client(base, writer) {
  async function call(method, path, body, attempts = ATTEMPTS) {
    const init = { method, headers: { "X-CSRFToken": csrf, "X-Writer": writer } };
    if (body instanceof Blob) {
      init.body = body;
      init.headers["Content-Type"] = "application/octet-stream";
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    for (let attempt = 1, delay = FIRST_RETRY_MS; ; attempt += 1, delay *= 2) {
      try {
        return await send(`${base}${path}`, init);
      } catch (error) {
        if (!retryable(error) || attempt >= attempts || error.retryAfterMs > MAX_RETRY_AFTER_MS) {
          throw error;
        }
        await sleep(backoff(error, delay, MAX_RETRY_AFTER_MS));
      }
    }
  }
  return {
    state: () => call("GET", "/state"),
    claim: (pos) => call("POST", `/answers/${pos}/claim`, {}),
    start: (pos, mimeType) => call("POST", `/answers/${pos}/takes`, { mime_type: mimeType }),
    // Once: the uploader has its own patient loop around it.
    chunk: (pos, take, index, blob) =>
      call("PUT", `/answers/${pos}/takes/${take}/chunks/${index}`, blob, 1),
    stop: (pos, take) => call("POST", `/answers/${pos}/takes/${take}/stop`, {}),
    submit: (pos, take, body) => call("POST", `/answers/${pos}/takes/${take}/submit`, body),
    text: (pos, text) => call("POST", `/answers/${pos}/text`, { text }),
    finish: () => call("POST", "/finish", {}),
  };
}
