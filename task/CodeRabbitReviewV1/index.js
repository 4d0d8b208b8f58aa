'use strict';
// CodeRabbitReview@1: the task's entry point (Node20_1 and Node24 handlers).
//
// A dependency-free shim around the native binary: it picks bin/<platform>-<arch>/coderabbit-agent,
// restores its execute bit (VSIX packing drops it), turns the task's inputs (INPUT_* variables, as
// the agent sets them) into the binary's arguments and environment, runs it and passes its exit
// status on. The valid values of its pick lists are task.json's; which options each command takes
// is the COMMANDS table. With a service connection (workload identity federation) it also fetches
// the reviewer's Entra ID token, since only a task can reach the connection. It owns no review
// logic; the binary does the work and writes the log.
//
// Run by hand with arguments (`node index.js --version`), it passes them to the binary unchanged
// and maps no inputs: a quick way to check which binary a task folder carries.

const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');

/** Platforms the task ships a binary for, as Node names them (`process.platform-process.arch`). */
const PLATFORMS = ['linux-x64', 'linux-arm64', 'win32-x64', 'darwin-x64', 'darwin-arm64'];

/**
 * The binary's options the task can set, each from its inputs: a function of the read inputs that
 * returns the arguments.
 */
const OPTIONS = {
  config: (inputs) => (inputs.configPath === '' ? [] : ['--config', inputs.configPath]),
  failOn: (inputs) => ['--fail-on', inputs.failOn],
  filterMode: (inputs) => ['--filter-mode', inputs.filterMode],
  maxComments: (inputs) => ['--max-comments', inputs.maxComments],
  dryRun: (inputs) => (inputs.dryRun ? ['--dry-run'] : []),
  findings: (inputs) => inputs.findings.flatMap((pattern) => ['--findings', pattern]),
};

/**
 * The commands of the task's `command` input (its pick list in task.json lists the same ones, a
 * test checks it): which of the OPTIONS each accepts, in order, and whether it writes to the pull
 * request (and so needs a token in a PR build unless it is a dry run). Adding a command is one
 * entry here and one option in task.json.
 */
const COMMANDS = {
  review: {
    options: ['config', 'failOn', 'filterMode', 'maxComments', 'dryRun', 'findings'],
    posts: true,
  },
  remediate: { options: ['config', 'dryRun'], posts: true },
  doctor: { options: ['config'], posts: false },
  respond: { options: ['config'], posts: true },
};

/** Where the binary for a platform lives in the task folder, as Node names the platform. */
function platformBinary(platform, arch) {
  const key = `${platform}-${arch}`;
  const name = platform === 'win32' ? 'coderabbit-agent.exe' : 'coderabbit-agent';
  return { key, name, relative: `bin/${key}/${name}`, shipped: PLATFORMS.includes(key) };
}

/** The task's declared inputs (names, defaults, pick lists), read from task.json beside the shim. */
function loadInputs(dir) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'task.json'), 'utf8'));
  return manifest.inputs;
}

/** Escapes the data of a logging command, as the agent expects it. */
function escapeData(value) {
  return String(value).replace(/%/g, '%AZP25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** An error whose message is the one sentence the user reads. */
class TaskFailure extends Error {}

/** The value of input `name`: `INPUT_<NAME>` (upper case, spaces as `_`), else its default. */
function readInput(env, declared, name) {
  const raw = env['INPUT_' + name.replace(/ /g, '_').toUpperCase()];
  if (raw !== undefined && raw.trim() !== '') {
    return raw.trim();
  }
  const spec = declared.find((input) => input.name === name);
  return spec && spec.defaultValue !== undefined ? String(spec.defaultValue) : '';
}

/** A pick-list input, checked against its options (the agent does not check YAML values). */
function readPickList(env, declared, name) {
  const value = readInput(env, declared, name);
  const spec = declared.find((input) => input.name === name);
  const valid = Object.keys((spec && spec.options) || {});
  const match = valid.find((option) => option.toLowerCase() === value.toLowerCase());
  if (match === undefined) {
    throw new TaskFailure(`Input ${name} is \`${value}\`; valid values: ${valid.join(', ')}.`);
  }
  return match;
}

function readBoolean(env, declared, name) {
  const value = readInput(env, declared, name);
  if (/^(true|false)$/i.test(value)) {
    return value.toLowerCase() === 'true';
  }
  throw new TaskFailure(`Input ${name} is \`${value}\`; valid values: true, false.`);
}

/** `$(Name)` arriving literally: the pipeline had no such variable to expand. */
function isUnexpandedMacro(value) {
  return /^\$\([^)]*\)$/.test(value.trim());
}

function isTrue(value) {
  return typeof value === 'string' && value.trim().toLowerCase() === 'true';
}

/** Whether this is an Azure Pipelines pull request build (the binary posts only there). */
function isPullRequestBuild(env) {
  return isTrue(env.TF_BUILD) && Boolean((env.SYSTEM_PULLREQUEST_PULLREQUESTID || '').trim());
}

/** The `findings` input: one path or glob per line, blank lines ignored. */
function findingsLines(text) {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/**
 * Maps the task's inputs to the binary's arguments and environment. Throws a TaskFailure with one
 * sentence when an input is invalid or the token is missing. Findings globs are left to the binary,
 * which resolves them from the working directory (the sources directory).
 */
function plan(env, declared, options) {
  const cwd = options.cwd;
  const warnings = [];
  const command = readPickList(env, declared, 'command');
  const failOn = readPickList(env, declared, 'failOn');
  const filterMode = readPickList(env, declared, 'filterMode');
  const tier = readPickList(env, declared, 'plan');
  const llmProvider = readPickList(env, declared, 'llmProvider');
  const dryRun = readBoolean(env, declared, 'dryRun');
  const allowInsecureHttp = readBoolean(env, declared, 'allowInsecureHttp');
  const maxComments = readInput(env, declared, 'maxComments');
  if (!/^\d+$/.test(maxComments)) {
    throw new TaskFailure(
      `Input maxComments is \`${maxComments}\`; it must be a whole number of comments, such as 50.`,
    );
  }

  const configPath = readInput(env, declared, 'configPath');
  const inputs = {
    configPath: configPath !== '' && !isDirectory(path.resolve(cwd, configPath)) ? configPath : '',
    failOn,
    filterMode,
    maxComments,
    dryRun,
    findings: findingsLines(readInput(env, declared, 'findings')),
  };
  const spec = COMMANDS[command];
  if (spec === undefined) {
    // task.json offers a command this shim does not know: a packaging mistake, not the user's.
    throw new TaskFailure(`Input command is \`${command}\`, which this version of the task cannot run; valid values: ${Object.keys(COMMANDS).join(', ')}.`);
  }
  const args = [command, ...spec.options.flatMap((option) => OPTIONS[option](inputs))];

  // The binary reads its own variables; the inputs (a token among them) stay with the shim.
  const childEnv = Object.fromEntries(
    Object.entries(env).filter(([name]) => !name.toUpperCase().startsWith('INPUT_')),
  );
  const accessToken = readInput(env, declared, 'accessToken');
  const unexpanded = isUnexpandedMacro(accessToken);
  // A service connection, when given, is the credential: its token is fetched after the inputs
  // are checked (see `run`), and the PAT is not passed on.
  const connection = serviceConnection(env, readInput(env, declared, 'connectedServiceName'));
  if (connection !== null && accessToken !== '' && !unexpanded) {
    warnings.push(
      `Inputs accessToken and connectedServiceName are both set: the service connection ${connection.id} is used and the PAT is ignored; remove one of them.`,
    );
  } else if (accessToken !== '' && !unexpanded) {
    childEnv.CODERABBIT_PAT = accessToken;
  }
  // Without a PAT, the job's own token (which the agent gives every task through its
  // SystemVssConnection endpoint) is the fallback: comments then come from the build service.
  const jobToken = (env.ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN || '').trim();
  if (!childEnv.CODERABBIT_PAT && (childEnv.SYSTEM_ACCESSTOKEN || '').trim() === '' && jobToken !== '') {
    childEnv.SYSTEM_ACCESSTOKEN = jobToken;
  }
  childEnv.CODERABBIT_PLAN = tier;
  if (llmProvider !== 'none') {
    childEnv.CODERABBIT_LLM_PROVIDER = llmProvider;
    const llm = {
      CODERABBIT_LLM_BASE_URL: 'llmBaseUrl',
      CODERABBIT_LLM_MODEL: 'llmModel',
      CODERABBIT_LLM_API_KEY: 'llmApiKey',
      CODERABBIT_LLM_API_VERSION: 'llmApiVersion',
    };
    for (const [variable, name] of Object.entries(llm)) {
      const value = readInput(env, declared, name);
      if (value !== '') {
        childEnv[variable] = value;
      }
    }
  }
  if (allowInsecureHttp) {
    childEnv.CODERABBIT_ALLOW_INSECURE_HTTP = 'true';
  }

  const needsToken = spec.posts && !dryRun && isPullRequestBuild(env);
  const hasToken =
    connection !== null ||
    (childEnv.CODERABBIT_PAT || '').trim() !== '' ||
    (childEnv.SYSTEM_ACCESSTOKEN || '').trim() !== '';
  if (unexpanded && connection !== null) {
    // The connection is the credential; a PAT variable that does not exist is not needed.
  } else if (unexpanded) {
    if (needsToken && !hasToken) {
      throw new TaskFailure(
        `Input accessToken is \`${accessToken}\`, a macro the pipeline did not expand: the secret variable does not exist in this pipeline — define it (marked secret) in the pipeline, a variable group or a Key Vault-linked group, and pass it as \`accessToken: ${accessToken}\`.`,
      );
    }
    warnings.push(
      `Input accessToken is \`${accessToken}\`, a macro the pipeline did not expand: the secret variable does not exist in this pipeline.`,
    );
  } else if (needsToken && !hasToken) {
    throw new TaskFailure(
      "No access token: map the CodeRabbit user's PAT from its secret variable with the input `accessToken: $(CodeRabbitPAT)` (secret variables reach a task only as inputs), or map `env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)` to post as the build service.",
    );
  }
  return { args, env: childEnv, warnings, failOn, connection };
}

// ----- an Entra ID service principal through an Azure Resource Manager service connection -----

/** Azure DevOps' resource in Entra ID: a token for it is accepted by the REST API as Bearer. */
const AZURE_DEVOPS_SCOPE = '499b84ac-1321-427f-aa17-267ca6975798/.default';
const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com/';
const EXCHANGE_TIMEOUT_MS = 30000;

/**
 * A variable the agent sets for an endpoint (`ENDPOINT_AUTH_SCHEME_<id>`, …), as
 * azure-pipelines-task-lib reads them: the id as the input gives it and the key in upper case. The
 * id's case is matched loosely, for agents whose environment is case-insensitive.
 */
function endpointVariable(env, name) {
  if (env[name] !== undefined) {
    return String(env[name]).trim();
  }
  const upper = name.toUpperCase();
  const found = Object.keys(env).find((key) => key.toUpperCase() === upper);
  return found === undefined ? '' : String(env[found]).trim();
}

/**
 * The service connection named by the `connectedServiceName` input (the agent passes its id), or
 * null when the input is empty. Throws a TaskFailure with one sentence when the connection is not
 * one that works without a secret: an Azure Resource Manager connection with workload identity
 * federation.
 */
function serviceConnection(env, id) {
  if (id === '') {
    return null;
  }
  const scheme = endpointVariable(env, `ENDPOINT_AUTH_SCHEME_${id}`);
  const parameter = (key) => endpointVariable(env, `ENDPOINT_AUTH_PARAMETER_${id}_${key.toUpperCase()}`);
  const data = (key) => endpointVariable(env, `ENDPOINT_DATA_${id}_${key.toUpperCase()}`);
  const supported =
    'the task supports Azure Resource Manager service connections that use workload identity federation (no secret to rotate), as docs/setup.md describes';
  if (scheme === '') {
    throw new TaskFailure(
      `The service connection ${id} is not available to this job (the agent gave it no authorization): check that the pipeline is authorised to use it, and that ${supported.replace('the task supports', 'it is one of the')}.`,
    );
  }
  if (scheme.toLowerCase() !== 'workloadidentityfederation') {
    const kind =
      scheme.toLowerCase() === 'serviceprincipal'
        ? `a service principal with a ${parameter('authenticationType') === 'spnCertificate' ? 'certificate' : 'secret'}`
        : scheme.toLowerCase() === 'managedserviceidentity'
          ? 'a managed identity'
          : `the scheme ${scheme}`;
    throw new TaskFailure(
      `The service connection ${id} authenticates with ${kind}; ${supported}: convert it to workload identity federation or create one.`,
    );
  }
  const tenantId = parameter('tenantId');
  const clientId = parameter('servicePrincipalId');
  if (tenantId === '' || clientId === '') {
    throw new TaskFailure(
      `The service connection ${id} has no ${tenantId === '' ? 'tenant id' : 'service principal id'}: edit the connection and save it again so that Azure DevOps fills it in.`,
    );
  }
  const authority = data('environmentAuthorityUrl') || (env.AZURE_AUTHORITY_HOST || '').trim() || DEFAULT_AUTHORITY;
  return { id, tenantId, clientId, authority };
}

function isLoopback(url) {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/** A URL the shim may send a credential to: https, or http to a loopback host. */
function credentialUrl(text, what, connection) {
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new TaskFailure(`The ${what} \`${text}\` of the service connection ${connection.id} is not a URL.`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) {
    throw new TaskFailure(
      `The ${what} \`${text}\` of the service connection ${connection.id} is not https: the task sends credentials only over https.`,
    );
  }
  return url;
}

/** The body of an answer, as JSON when it is JSON, else null. */
async function jsonBody(response) {
  try {
    return JSON.parse(await response.text());
  } catch {
    return null;
  }
}

/**
 * An Azure DevOps access token for the service principal of `connection`: an ID token from the
 * pipeline's OIDC endpoint (System.OidcRequestUri, with the job's token), exchanged at the
 * connection's tenant for a token of Azure DevOps' resource. `mask` is called with each secret as
 * soon as it is known, before anything else is written. Throws a TaskFailure with one sentence
 * naming the connection and the tenant, never a token.
 */
async function serviceConnectionToken(env, connection, mask, fetchImpl = fetch) {
  const where = `the service connection ${connection.id} (tenant ${connection.tenantId})`;
  const requestUri = (env.SYSTEM_OIDCREQUESTURI || '').trim();
  if (requestUri === '') {
    throw new TaskFailure(
      `Cannot sign in with ${where}: this agent gives the job no OIDC endpoint (System.OidcRequestUri is empty); run the job on a current Azure Pipelines agent.`,
    );
  }
  const jobToken = (
    env.ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN ||
    env.SYSTEM_ACCESSTOKEN ||
    ''
  ).trim();
  if (jobToken === '') {
    throw new TaskFailure(
      `Cannot sign in with ${where}: the job has no access token to ask the pipeline's OIDC endpoint with; map \`env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)\` on the step.`,
    );
  }
  const oidcUrl = credentialUrl(requestUri, 'OIDC endpoint', connection);
  oidcUrl.searchParams.set('api-version', '7.1');
  oidcUrl.searchParams.set('serviceConnectionId', connection.id);
  let answer;
  try {
    answer = await fetchImpl(oidcUrl, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${jobToken}`,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      body: '{}',
      signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS),
    });
  } catch (err) {
    throw new TaskFailure(
      `Cannot sign in with ${where}: the pipeline's OIDC endpoint ${oidcUrl.host} did not answer (${reason(err)}).`,
    );
  }
  const oidc = await jsonBody(answer);
  const idToken = oidc && typeof oidc.oidcToken === 'string' ? oidc.oidcToken.trim() : '';
  if (!answer.ok || idToken === '') {
    throw new TaskFailure(
      `Cannot sign in with ${where}: the pipeline's OIDC endpoint answered HTTP ${answer.status} without an ID token; check that the pipeline is authorised to use the connection.`,
    );
  }
  mask(idToken);

  const authority = credentialUrl(connection.authority, 'authority', connection);
  const tokenUrl = new URL(
    `${encodeURIComponent(connection.tenantId)}/oauth2/v2.0/token`,
    authority.href.endsWith('/') ? authority.href : `${authority.href}/`,
  );
  const form = new URLSearchParams({
    client_id: connection.clientId,
    scope: AZURE_DEVOPS_SCOPE,
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: idToken,
  });
  try {
    answer = await fetchImpl(tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: form.toString(),
      signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS),
    });
  } catch (err) {
    throw new TaskFailure(
      `Cannot sign in with ${where}: Entra ID at ${tokenUrl.host} did not answer (${reason(err)}).`,
    );
  }
  const token = await jsonBody(answer);
  const accessToken = token && typeof token.access_token === 'string' ? token.access_token.trim() : '';
  if (!answer.ok || accessToken === '') {
    const code = token && typeof token.error === 'string' ? `, ${token.error}` : '';
    const aadsts =
      token && Array.isArray(token.error_codes) && token.error_codes.length > 0
        ? ` AADSTS${token.error_codes[0]}`
        : '';
    throw new TaskFailure(
      `Cannot sign in with ${where}: Entra ID refused the exchange (HTTP ${answer.status}${code}${aadsts}); check the federated credential of the app registration ${connection.clientId} (issuer and subject as the service connection shows them).`,
    );
  }
  mask(accessToken);
  return accessToken;
}

function reason(err) {
  const cause = err && err.cause;
  return (cause && (cause.code || cause.message)) || (err && (err.name === 'TimeoutError' ? 'no answer in 30 s' : err.message)) || 'unknown error';
}

function isDirectory(file) {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** The binary for this platform, or a TaskFailure naming the platform. */
function binaryPath(root, platform, arch) {
  const { key, name, relative, shipped } = platformBinary(platform, arch);
  if (!shipped) {
    throw new TaskFailure(
      `coderabbit-agent has no binary for ${key} in this task (it ships ${PLATFORMS.join(', ')}): run the job on an agent of one of those platforms.`,
    );
  }
  const file = path.join(root, ...relative.split('/'));
  if (!fs.existsSync(file)) {
    throw new TaskFailure(
      `coderabbit-agent has no binary for ${key} in this task (${relative} is missing): install a build of the extension that includes it, or run the job on another platform.`,
    );
  }
  return file;
}

/** Restores the execute bit that VSIX packing drops. */
function makeExecutable(file, platform) {
  if (platform === 'win32') {
    return;
  }
  try {
    fs.chmodSync(file, 0o755);
  } catch (err) {
    // A read-only task folder that already has the bit set is fine; the spawn reports otherwise.
    if (!(fs.statSync(file).mode & 0o111)) {
      throw new TaskFailure(
        `cannot make ${file} executable (${err.code || err.message}): check the permissions of the agent's tasks folder.`,
      );
    }
  }
}

/** Why the step failed, for a non-zero exit status of the binary. */
function exitSentence(code, failOn) {
  if (code === 1) {
    return `coderabbit-agent found issues at or above the failOn severity (${failOn}).`;
  }
  if (code === 2) {
    return 'coderabbit-agent could not do its job (exit status 2); the message above says what is wrong and how to fix it.';
  }
  return `coderabbit-agent exited with status ${code}.`;
}

function fail(out, message) {
  out.write(`##vso[task.logissue type=error]${escapeData(message)}\n`);
  out.write(`##vso[task.complete result=Failed;]${escapeData(message)}\n`);
}

/**
 * Runs the task. `options` can replace the process's environment, platform, arch, task folder and
 * output streams (for tests). Resolves to the exit status.
 */
async function run(options = {}) {
  const env = options.env || process.env;
  const platform = options.platform || process.platform;
  const arch = options.arch || process.arch;
  const root = options.root || __dirname;
  const out = options.stdout || { write: (text) => fs.writeSync(1, text) };
  const passthrough = options.argv || [];
  const mask = (secret) => out.write(`##vso[task.setsecret]${escapeData(secret)}\n`);
  let prepared;
  let binary;
  try {
    // Mask the secrets before anything else is written.
    const accessToken = (env.INPUT_ACCESSTOKEN || '').trim();
    const llmApiKey = (env.INPUT_LLMAPIKEY || '').trim();
    const jobToken = (env.ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN || '').trim();
    for (const secret of [accessToken, llmApiKey, jobToken]) {
      if (secret !== '' && !isUnexpandedMacro(secret)) {
        mask(secret);
      }
    }
    binary = binaryPath(root, platform, arch);
    if (passthrough.length > 0) {
      prepared = { args: passthrough, env, warnings: [], failOn: '', connection: null };
    } else {
      const cwd = (env.BUILD_SOURCESDIRECTORY || '').trim() || process.cwd();
      prepared = plan(env, loadInputs(root), { cwd });
      prepared.cwd = cwd;
    }
    if (prepared.connection !== null) {
      const token = await serviceConnectionToken(env, prepared.connection, mask, options.fetch);
      prepared.env.CODERABBIT_ACCESS_TOKEN = token;
      prepared.env.CODERABBIT_SERVICE_CONNECTION = prepared.connection.id;
      out.write(
        `Signed in as the service principal ${prepared.connection.clientId} of the service connection ${prepared.connection.id} (tenant ${prepared.connection.tenantId}).\n`,
      );
    }
    makeExecutable(binary, platform);
  } catch (err) {
    if (err instanceof TaskFailure) {
      fail(out, err.message);
      return 2;
    }
    throw err;
  }
  for (const warning of prepared.warnings) {
    out.write(`##vso[task.logissue type=warning]${escapeData(warning)}\n`);
  }
  const shown = path.relative(root, binary).split(path.sep).join('/');
  if (passthrough.length === 0) {
    out.write(`${shown} ${prepared.args.join(' ')}\n`);
  }
  return new Promise((resolve) => {
    const child = spawn(binary, prepared.args, {
      cwd: prepared.cwd,
      env: prepared.env,
      stdio: options.stdio || 'inherit',
    });
    const forward = (signal) => child.kill(signal);
    const signals = options.forwardSignals === false ? [] : ['SIGINT', 'SIGTERM'];
    for (const signal of signals) {
      process.on(signal, forward);
    }
    let settled = false;
    const finish = (code) => {
      if (settled) {
        return;
      }
      settled = true;
      for (const signal of signals) {
        process.removeListener(signal, forward);
      }
      resolve(code);
    };
    child.on('error', (err) => {
      fail(out, `cannot start ${shown} (${err.code || err.message}): the task folder may be damaged; reinstall the extension.`);
      finish(2);
    });
    child.on('exit', (code, signal) => {
      if (signal) {
        fail(out, `coderabbit-agent was stopped by ${signal}.`);
        finish(2);
      } else if (code !== 0) {
        if (passthrough.length === 0) {
          fail(out, exitSentence(code, prepared.failOn));
        }
        finish(code);
      } else {
        finish(0);
      }
    });
  });
}

module.exports = {
  COMMANDS,
  OPTIONS,
  PLATFORMS,
  TaskFailure,
  binaryPath,
  platformBinary,
  serviceConnection,
  serviceConnectionToken,
  escapeData,
  findingsLines,
  loadInputs,
  plan,
  run,
};

if (require.main === module) {
  run({ argv: process.argv.slice(2) }).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      fail({ write: (text) => fs.writeSync(1, text) }, `the CodeRabbit task failed unexpectedly: ${err.message}`);
      process.exitCode = 2;
    },
  );
}
