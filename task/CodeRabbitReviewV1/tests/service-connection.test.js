'use strict';
// The task with an Azure Resource Manager service connection (workload identity federation): the
// shim asks the pipeline's OIDC endpoint for an ID token and exchanges it at Entra ID for an Azure
// DevOps access token. Both endpoints are emulated on loopback with the documented shapes:
// - Oidctoken - Create (REST 7.1): POST System.OidcRequestUri?api-version=7.1&serviceConnectionId=…
//   with the job's token as Bearer; answer `{"oidcToken": "…"}` (TaskHubOidcToken).
// - Microsoft identity platform, client credentials with a federated assertion: POST
//   <authority>/<tenant>/oauth2/v2.0/token, form fields client_id, scope, grant_type,
//   client_assertion_type, client_assertion; answer `{token_type, expires_in, access_token}` or
//   an error `{error, error_description, error_codes, …}` with HTTP 400/401.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const TASK = path.join(__dirname, '..');
const HOST = `${process.platform}-${process.arch}`;
const CONNECTION = '6c1f6a02-5e3b-4b7a-9a55-3f0d1e2c4b11';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '0f3c5d2e-1a2b-4c3d-8e9f-a0b1c2d3e4f5';
const JOB_TOKEN = 'job-token-for-tests-5d1e';
const ID_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.id-token-for-tests.sig-77aa';
const ACCESS_TOKEN = 'eyJ0eXAiOiJKV1QifQ.access-token-for-tests.sig-88bb';
const PAT = 'pat-for-tests-3b9c';

const FAKE_BINARY = `#!/bin/sh
printf '%s\\n' "$@" > "$FAKE_RECORD/args"
env > "$FAKE_RECORD/env"
exit 0
`;

/** The two endpoints, answering as `behaviour` says; every request is recorded. */
async function endpoints(t, behaviour = {}) {
  const requests = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const url = new URL(req.url, 'http://127.0.0.1');
      requests.push({ method: req.method, url, headers: req.headers, body });
      const send = (status, json) => {
        res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(json));
      };
      if (url.pathname === '/org/project/_apis/distributedtask/hubs/build/plans/p1/jobs/j1/oidctoken') {
        if (behaviour.oidc) {
          return behaviour.oidc(send);
        }
        const ok =
          req.method === 'POST' &&
          req.headers.authorization === `Bearer ${JOB_TOKEN}` &&
          url.searchParams.get('api-version') === '7.1' &&
          url.searchParams.get('serviceConnectionId') === CONNECTION;
        return ok ? send(200, { oidcToken: ID_TOKEN }) : send(401, { message: 'unauthorised' });
      }
      if (url.pathname === `/${TENANT}/oauth2/v2.0/token`) {
        if (behaviour.token) {
          return behaviour.token(send);
        }
        const form = new URLSearchParams(body);
        const ok =
          req.method === 'POST' &&
          req.headers['content-type'] === 'application/x-www-form-urlencoded' &&
          form.get('client_id') === CLIENT &&
          form.get('scope') === '499b84ac-1321-427f-aa17-267ca6975798/.default' &&
          form.get('grant_type') === 'client_credentials' &&
          form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' &&
          form.get('client_assertion') === ID_TOKEN;
        if (!ok) {
          return send(400, { error: 'invalid_request', error_codes: [900144], error_description: 'AADSTS900144: bad request' });
        }
        return send(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: ACCESS_TOKEN });
      }
      send(404, { message: 'no such endpoint' });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${server.address().port}`;
  return { base, requests };
}

function taskFolder(t) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'coderabbit-wif-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.copyFileSync(path.join(TASK, 'index.js'), path.join(root, 'index.js'));
  fs.copyFileSync(path.join(TASK, 'task.json'), path.join(root, 'task.json'));
  const record = path.join(root, 'record');
  fs.mkdirSync(record);
  const bin = path.join(root, 'bin', HOST, 'coderabbit-agent');
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  fs.writeFileSync(bin, FAKE_BINARY, { mode: 0o755 });
  return { root, record };
}

/** A PR build's step with the connection as the agent describes it to a task. */
function stepEnv(folder, base, extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME || os.tmpdir(),
    FAKE_RECORD: folder.record,
    BUILD_SOURCESDIRECTORY: folder.root,
    TF_BUILD: 'True',
    BUILD_REASON: 'PullRequest',
    SYSTEM_PULLREQUEST_PULLREQUESTID: '7',
    SYSTEM_OIDCREQUESTURI: `${base}/org/project/_apis/distributedtask/hubs/build/plans/p1/jobs/j1/oidctoken`,
    ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: JOB_TOKEN,
    INPUT_CONNECTEDSERVICENAME: CONNECTION,
    [`ENDPOINT_URL_${CONNECTION}`]: 'https://management.azure.com/',
    [`ENDPOINT_AUTH_SCHEME_${CONNECTION}`]: 'WorkloadIdentityFederation',
    [`ENDPOINT_AUTH_PARAMETER_${CONNECTION}_TENANTID`]: TENANT,
    [`ENDPOINT_AUTH_PARAMETER_${CONNECTION}_SERVICEPRINCIPALID`]: CLIENT,
    [`ENDPOINT_AUTH_PARAMETER_${CONNECTION}_WORKLOADIDENTITYFEDERATIONSUBJECT`]: 'sc://org/project/coderabbit',
    [`ENDPOINT_DATA_${CONNECTION}_ENVIRONMENTAUTHORITYURL`]: `${base}/`,
    ...extra,
  };
}

/** `node index.js` as the agent starts it; asynchronous, so that the endpoints can answer. */
function runShim(folder, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(folder.root, 'index.js')], { env, cwd: os.tmpdir() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function recordedEnv(folder) {
  const file = path.join(folder.record, 'env');
  if (!fs.existsSync(file)) {
    return null;
  }
  const env = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) {
      env[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return env;
}

/** The output without its masking commands: no secret may appear in it. */
function assertNoSecret(result) {
  const text = (result.stdout + result.stderr)
    .split('\n')
    .filter((line) => !line.startsWith('##vso[task.setsecret]'))
    .join('\n');
  for (const secret of [JOB_TOKEN, ID_TOKEN, ACCESS_TOKEN, PAT]) {
    assert.ok(!text.includes(secret), `a secret is printed: ${text}`);
  }
}

function failure(result) {
  const match = result.stdout.match(/##vso\[task\.complete result=Failed;\](.*)\n/);
  return match ? match[1] : null;
}

test('a workload identity federation connection: the exchanged token reaches the binary, masked first', async (t) => {
  const { base, requests } = await endpoints(t);
  const folder = taskFolder(t);
  const result = await runShim(folder, stepEnv(folder, base));
  assert.equal(result.status, 0, result.stdout + result.stderr);
  const env = recordedEnv(folder);
  assert.equal(env.CODERABBIT_ACCESS_TOKEN, ACCESS_TOKEN);
  assert.equal(env.CODERABBIT_SERVICE_CONNECTION, CONNECTION);
  assert.equal(env.CODERABBIT_PAT, undefined);
  // Each secret is masked before anything else is written about it.
  const lines = result.stdout.split('\n');
  assert.deepEqual(lines.slice(0, 3), [
    `##vso[task.setsecret]${JOB_TOKEN}`,
    `##vso[task.setsecret]${ID_TOKEN}`,
    `##vso[task.setsecret]${ACCESS_TOKEN}`,
  ]);
  assert.match(result.stdout, new RegExp(`service principal ${CLIENT} of the service connection ${CONNECTION} \\(tenant ${TENANT}\\)`));
  assertNoSecret(result);
  assert.equal(requests.length, 2);
  assert.equal(requests[0].method, 'POST');
  assert.equal(requests[0].headers.authorization, `Bearer ${JOB_TOKEN}`);
  assert.equal(requests[1].url.pathname, `/${TENANT}/oauth2/v2.0/token`);
});

test('AZURE_AUTHORITY_HOST is the authority when the connection names none', async (t) => {
  const { base, requests } = await endpoints(t);
  const folder = taskFolder(t);
  const env = stepEnv(folder, base, { AZURE_AUTHORITY_HOST: base });
  delete env[`ENDPOINT_DATA_${CONNECTION}_ENVIRONMENTAUTHORITYURL`];
  const result = await runShim(folder, env);
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.equal(recordedEnv(folder).CODERABBIT_ACCESS_TOKEN, ACCESS_TOKEN);
  assert.equal(requests.length, 2);
});

test('the OIDC endpoint refuses: one sentence naming the connection and the tenant', async (t) => {
  const { base } = await endpoints(t, { oidc: (send) => send(401, { message: 'TF400813: not authorized' }) });
  const folder = taskFolder(t);
  const result = await runShim(folder, stepEnv(folder, base));
  assert.equal(result.status, 2, result.stdout);
  assert.equal(
    failure(result),
    `Cannot sign in with the service connection ${CONNECTION} (tenant ${TENANT}): the pipeline's OIDC endpoint answered HTTP 401 without an ID token; check that the pipeline is authorised to use the connection.`,
  );
  assert.equal(recordedEnv(folder), null, 'the binary did not run');
  assertNoSecret(result);
});

test('Entra ID refuses the exchange: one sentence naming the connection and the tenant, no token', async (t) => {
  const { base } = await endpoints(t, {
    token: (send) =>
      send(400, {
        error: 'invalid_client',
        error_description: `AADSTS700213: No matching federated identity record found for presented assertion subject. Assertion: ${ID_TOKEN}`,
        error_codes: [700213],
        trace_id: 'a',
        correlation_id: 'b',
      }),
  });
  const folder = taskFolder(t);
  const result = await runShim(folder, stepEnv(folder, base));
  assert.equal(result.status, 2, result.stdout);
  assert.equal(
    failure(result),
    `Cannot sign in with the service connection ${CONNECTION} (tenant ${TENANT}): Entra ID refused the exchange (HTTP 400, invalid_client AADSTS700213); check the federated credential of the app registration ${CLIENT} (issuer and subject as the service connection shows them).`,
  );
  assert.equal(recordedEnv(folder), null);
  assertNoSecret(result);
});

test('an endpoint that does not answer: one sentence, no hang', async (t) => {
  const folder = taskFolder(t);
  // A port nobody listens on: connection refused.
  const closed = http.createServer();
  await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = closed.address().port;
  await new Promise((resolve) => closed.close(resolve));
  const result = await runShim(folder, stepEnv(folder, `http://127.0.0.1:${port}`));
  assert.equal(result.status, 2, result.stdout);
  assert.match(failure(result), new RegExp(`^Cannot sign in with the service connection ${CONNECTION} \\(tenant ${TENANT}\\): the pipeline's OIDC endpoint 127\\.0\\.0\\.1:${port} did not answer \\(ECONNREFUSED\\)\\.$`));
});

test('a connection of another kind gets one sentence saying what is supported, and no request', async (t) => {
  const kinds = [
    [{ [`ENDPOINT_AUTH_SCHEME_${CONNECTION}`]: 'ServicePrincipal', [`ENDPOINT_AUTH_PARAMETER_${CONNECTION}_AUTHENTICATIONTYPE`]: 'spnKey' }, 'a service principal with a secret'],
    [{ [`ENDPOINT_AUTH_SCHEME_${CONNECTION}`]: 'ServicePrincipal', [`ENDPOINT_AUTH_PARAMETER_${CONNECTION}_AUTHENTICATIONTYPE`]: 'spnCertificate' }, 'a service principal with a certificate'],
    [{ [`ENDPOINT_AUTH_SCHEME_${CONNECTION}`]: 'ManagedServiceIdentity' }, 'a managed identity'],
  ];
  for (const [extra, kind] of kinds) {
    const { base, requests } = await endpoints(t);
    const folder = taskFolder(t);
    const result = await runShim(folder, stepEnv(folder, base, extra));
    assert.equal(result.status, 2, result.stdout);
    assert.equal(
      failure(result),
      `The service connection ${CONNECTION} authenticates with ${kind}; the task supports Azure Resource Manager service connections that use workload identity federation (no secret to rotate), as docs/setup.md describes: convert it to workload identity federation or create one.`,
    );
    assert.equal(requests.length, 0);
    assert.equal(recordedEnv(folder), null);
  }
});

test('a connection the job cannot use (no authorization from the agent) is named', async (t) => {
  const { base, requests } = await endpoints(t);
  const folder = taskFolder(t);
  const env = stepEnv(folder, base);
  delete env[`ENDPOINT_AUTH_SCHEME_${CONNECTION}`];
  const result = await runShim(folder, env);
  assert.equal(result.status, 2);
  assert.match(failure(result), new RegExp(`^The service connection ${CONNECTION} is not available to this job`));
  assert.equal(requests.length, 0);
});

test('both a PAT and a connection: the connection is used, and the step says so', async (t) => {
  const { base } = await endpoints(t);
  const folder = taskFolder(t);
  const result = await runShim(folder, stepEnv(folder, base, { INPUT_ACCESSTOKEN: PAT }));
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.ok(
    result.stdout.includes(
      `##vso[task.logissue type=warning]Inputs accessToken and connectedServiceName are both set: the service connection ${CONNECTION} is used and the PAT is ignored; remove one of them.`,
    ),
    result.stdout,
  );
  const env = recordedEnv(folder);
  assert.equal(env.CODERABBIT_ACCESS_TOKEN, ACCESS_TOKEN);
  assert.equal(env.CODERABBIT_PAT, undefined);
  assert.ok(result.stdout.startsWith(`##vso[task.setsecret]${PAT}\n`));
  assertNoSecret(result);
});

test('an authority that is not https (and not loopback) is refused before any credential is sent', async (t) => {
  const { base, requests } = await endpoints(t);
  const folder = taskFolder(t);
  const env = stepEnv(folder, base, { [`ENDPOINT_DATA_${CONNECTION}_ENVIRONMENTAUTHORITYURL`]: 'http://login.example.com/' });
  const result = await runShim(folder, env);
  assert.equal(result.status, 2);
  assert.match(failure(result), /authority `http:\/\/login\.example\.com\/` of the service connection .* is not https/);
  assert.equal(requests.length, 1, 'only the OIDC endpoint was asked');
});

/**
 * Not asserted: the exchange's added time at task start, in process (the shim's `run` with a
 * stand-in binary), against the emulated endpoints: 30 runs with the connection, 30 without,
 * alternating. Printed as a test diagnostic.
 */
test('time the exchange adds at task start (emulated endpoints)', async (t) => {
  const shim = require(path.join(TASK, 'index.js'));
  const { base } = await endpoints(t);
  const folder = taskFolder(t);
  const quiet = { write: () => {} };
  const withConnection = stepEnv(folder, base);
  const withPat = { ...stepEnv(folder, base, { INPUT_ACCESSTOKEN: PAT }) };
  delete withPat.INPUT_CONNECTEDSERVICENAME;
  const timed = async (env) => {
    const started = process.hrtime.bigint();
    const code = await shim.run({ env, root: folder.root, stdout: quiet, stdio: 'ignore', forwardSignals: false });
    assert.equal(code, 0);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const a = [];
  const b = [];
  for (let i = 0; i < 30; i++) {
    a.push(await timed(withConnection));
    b.push(await timed(withPat));
  }
  const median = (xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  t.diagnostic(
    `task start with the connection: median ${median(a).toFixed(1)} ms (min ${a[0].toFixed(1)}, max ${a[a.length - 1].toFixed(1)}); with a PAT: median ${median(b).toFixed(1)} ms; added ${(median(a) - median(b)).toFixed(1)} ms`,
  );
});
