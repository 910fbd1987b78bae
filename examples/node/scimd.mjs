// A small client of scimd's application API with plain fetch (Node 18+):
// what verify.mjs and feed.mjs share.

const url = (process.env.SCIMD_URL ?? "").replace(/\/+$/, "");
const appToken = process.env.SCIMD_APP_TOKEN ?? "";
if (!url || !appToken.startsWith("scimd_app_")) {
  console.error("set SCIMD_URL (such as http://127.0.0.1:8080) and SCIMD_APP_TOKEN (scimd_app_…)");
  process.exit(2);
}

// api calls the application API and returns its JSON answer; an error
// answer throws an Error with the API's status, code and message.
export async function api(method, path, body, { signal } = {}) {
  const res = await fetch(`${url}/v1${path}`, {
    method,
    signal,
    headers: {
      Authorization: `Bearer ${appToken}`,
      Accept: "application/json",
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${method} /v1${path}: ${res.status} ${res.statusText}; is ${url} a scimd server?`);
  }
  if (!res.ok) {
    const e = new Error(`scimd: ${res.status} ${json.error?.code}: ${json.error?.message}`);
    e.status = res.status;
    e.code = json.error?.code;
    throw e;
  }
  return json;
}

// verify asks whether a user's API key or session token is valid:
// {valid: true, user: {id, user_name, roles, groups, teams}, credential}
// or {valid: false, reason}.
export function verify(secret) {
  return api("POST", "/verify", { token: secret });
}

// events reads the workspace's events after the seq `after`, waiting up
// to `wait` seconds for some: {events: [{id, seq, type, subject, data}],
// next}.
export function events(workspace, after, wait = 30) {
  const q = new URLSearchParams({ after: String(after), wait: String(wait) });
  return api("GET", `/workspaces/${encodeURIComponent(workspace)}/events?${q}`);
}
