// The daemon's query API (contract: Jaeger HTTP query API plus /api/v1/...).

export class ApiError extends Error {}

async function getJson(path, params) {
  const url = new URL(path, location.origin);
  if (params) {
    for (const [k, v] of Object.entries(params)) {
      if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, String(v));
    }
  }
  let response;
  try {
    response = await fetch(url, {headers: {Accept: "application/json"}});
  } catch (e) {
    throw new ApiError(`cannot reach the daemon: ${e.message}`);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // An answer that is not JSON: reported below with the status.
  }
  if (!response.ok || (body && Array.isArray(body.errors) && body.errors.length)) {
    const msg = body && Array.isArray(body.errors) && body.errors.length
                  ? body.errors.map((e) => e.msg).join("; ")
                  : `HTTP ${response.status}`;
    throw new ApiError(msg);
  }
  if (!body) throw new ApiError(`HTTP ${response.status}: not JSON`);
  return body;
}

const enc = encodeURIComponent;

export async function services() {
  return (await getJson("/api/services")).data || [];
}

export async function operations(service) {
  return (await getJson(`/api/services/${enc(service)}/operations`)).data || [];
}

// params: service, operation, tags, start, end, minDuration, maxDuration, limit, lookback
export async function findTraces(params) {
  return (await getJson("/api/traces", params)).data || [];
}

export async function trace(traceID) {
  const data = (await getJson(`/api/traces/${enc(traceID)}`)).data || [];
  if (!data.length) throw new ApiError(`trace ${traceID} not found`);
  return data[0];
}

export async function traceLogs(traceID) {
  return (await getJson(`/api/v1/traces/${enc(traceID)}/logs`)).data || [];
}

// params: q, level, service, traceID, start, end, limit, before -> {data, next_before}
export async function logs(params) {
  return getJson("/api/v1/logs", params);
}
