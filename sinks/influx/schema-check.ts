/**
 * Start-up check for InfluxDB 2.x: the bucket exists and a DBRP mapping points an InfluxQL
 * database/retention policy at it (dashboards query with InfluxQL, DESIGN §3). Missing pieces
 * are created when the token allows it; otherwise the result says which command creates them.
 * InfluxDB 1.8 and 3.x (and VictoriaMetrics) need neither, so the check only runs against a
 * server whose /ping reports version 2.
 */
import { HttpError, type Transport } from '@influxdata/influxdb-client';

export interface SchemaCheckOptions {
  org: string;
  bucket: string;
  database: string;
  retentionPolicy: string;
}

export type SchemaCheckResult =
  | { state: 'skipped'; detail: string }
  | { state: 'ok'; detail: string; created: string[] }
  | { state: 'failed'; detail: string };

const JSON_HEADERS = { 'content-type': 'application/json' };

export async function checkInfluxSchema(
  transport: Transport,
  opts: SchemaCheckOptions,
): Promise<SchemaCheckResult> {
  let version = '';
  await transport.request('/ping', '', { method: 'GET' }, (headers) => {
    const v = headers['x-influxdb-version'];
    version = String(Array.isArray(v) ? v[0] : (v ?? ''));
  });
  if (!/^v?2\./.test(version)) {
    return {
      state: 'skipped',
      detail: `server reports version "${version || 'unknown'}"; bucket/DBRP check applies to InfluxDB 2.x only`,
    };
  }
  try {
    return await ensure(transport, opts);
  } catch (err) {
    // A least-privilege token (write on the bucket only) may not read orgs, buckets or DBRP
    // mappings: the check cannot tell, which is no reason to hold the sink back. Writes
    // still report a missing bucket on their own (404).
    if (err instanceof Unreadable)
      return {
        state: 'skipped',
        detail: `the token may not read ${err.path.split('?')[0]} (${err.status}), so the bucket and the DBRP mapping ${opts.database}/${opts.retentionPolicy} cannot be verified; an admin can check with: influx v1 dbrp list --org ${opts.org} --db ${opts.database}`,
      };
    throw err;
  }
}

class Unreadable extends Error {
  constructor(
    readonly path: string,
    readonly status: number,
  ) {
    super(`GET ${path} → ${status}`);
  }
}

async function ensure(transport: Transport, opts: SchemaCheckOptions): Promise<SchemaCheckResult> {
  const created: string[] = [];
  const get = async <T>(path: string): Promise<T> => {
    try {
      return (await transport.request(path, '', { method: 'GET' })) as T;
    } catch (err) {
      if (err instanceof HttpError && (err.statusCode === 401 || err.statusCode === 403))
        throw new Unreadable(path, err.statusCode);
      throw err;
    }
  };
  const post = async <T>(path: string, body: unknown): Promise<T> =>
    (await transport.request(path, JSON.stringify(body), {
      method: 'POST',
      headers: JSON_HEADERS,
    })) as T;
  const q = encodeURIComponent;

  const orgs = await get<{ orgs?: { id: string; name: string }[] }>(
    `/api/v2/orgs?org=${q(opts.org)}`,
  );
  const org = orgs.orgs?.find((o) => o.name === opts.org);
  if (!org)
    return { state: 'failed', detail: `organisation "${opts.org}" not found (sinks.influx.org)` };

  const buckets = await get<{ buckets?: { id: string; name: string }[] }>(
    `/api/v2/buckets?orgID=${q(org.id)}&name=${q(opts.bucket)}`,
  );
  let bucket = buckets.buckets?.find((b) => b.name === opts.bucket);
  if (!bucket) {
    try {
      bucket = await post<{ id: string; name: string }>('/api/v2/buckets', {
        orgID: org.id,
        name: opts.bucket,
        retentionRules: [],
      });
      created.push(`bucket ${opts.bucket}`);
    } catch (err) {
      return denied(
        err,
        `bucket "${opts.bucket}" does not exist`,
        `influx bucket create --org ${opts.org} --name ${opts.bucket}`,
      );
    }
  }

  const dbrps = await get<{ content?: { database: string; retention_policy: string }[] }>(
    `/api/v2/dbrps?orgID=${q(org.id)}&bucketID=${q(bucket.id)}`,
  );
  const mapped = dbrps.content?.some(
    (d) => d.database === opts.database && d.retention_policy === opts.retentionPolicy,
  );
  if (!mapped) {
    try {
      await post('/api/v2/dbrps', {
        orgID: org.id,
        bucketID: bucket.id,
        database: opts.database,
        retention_policy: opts.retentionPolicy,
        default: true,
      });
      created.push(`DBRP ${opts.database}/${opts.retentionPolicy}`);
    } catch (err) {
      return denied(
        err,
        `no DBRP mapping ${opts.database}/${opts.retentionPolicy} → bucket "${opts.bucket}" (InfluxQL dashboards will find no data)`,
        `influx v1 dbrp create --org ${opts.org} --bucket-id ${bucket.id} --db ${opts.database} --rp ${opts.retentionPolicy} --default`,
      );
    }
  }
  return {
    state: 'ok',
    created,
    detail: created.length
      ? `created ${created.join(' and ')}`
      : `bucket "${opts.bucket}" and DBRP ${opts.database}/${opts.retentionPolicy} exist`,
  };
}

function denied(err: unknown, what: string, command: string): SchemaCheckResult {
  if (err instanceof HttpError && (err.statusCode === 401 || err.statusCode === 403)) {
    return {
      state: 'failed',
      detail: `${what} and the token may not create it (${err.statusCode}); an admin can run: ${command}`,
    };
  }
  throw err;
}
