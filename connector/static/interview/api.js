// Calls to the interview API: JSON in and out, the page's CSRF token, and this tab's writer id.

export class ApiError extends Error {
  constructor(status, body) {
    super(body.detail || body.error || `HTTP ${status}`);
    this.status = status;
    this.reason = body.error || "error";
    this.body = body;
  }
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

export function client(base, writer) {
  async function call(method, path, body, headers = {}) {
    const init = { method, headers: { "X-CSRFToken": csrf, "X-Writer": writer, ...headers } };
    if (body instanceof Blob) {
      init.body = body;
      init.headers["Content-Type"] = "application/octet-stream";
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    const response = await fetch(`${base}${path}`, init);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }
  return {
    state: () => call("GET", "/state"),
    claim: (pos) => call("POST", `/answers/${pos}/claim`, {}),
    start: (pos, mimeType) => call("POST", `/answers/${pos}/takes`, { mime_type: mimeType }),
    chunk: (pos, take, index, blob) =>
      call("PUT", `/answers/${pos}/takes/${take}/chunks/${index}`, blob),
    stop: (pos, take) => call("POST", `/answers/${pos}/takes/${take}/stop`, {}),
    submit: (pos, take, body) => call("POST", `/answers/${pos}/takes/${take}/submit`, body),
    text: (pos, text) => call("POST", `/answers/${pos}/text`, { text }),
    finish: () => call("POST", "/finish", {}),
  };
}
