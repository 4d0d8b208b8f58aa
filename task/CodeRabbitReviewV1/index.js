'use strict';
// CodeRabbitReview@1: the task's entry point (Node20_1 and Node24 handlers).
//
// A dependency-free shim around the native binary: it picks bin/<platform>-<arch>/coderabbit-agent,
// restores its execute bit (VSIX packing drops it), turns the task's inputs (INPUT_* variables, as
// the agent sets them) into the binary's arguments and environment, runs it and passes its exit
// status on. It owns no review logic; the binary does the work and writes the log.
//
// Run by hand with arguments (`node index.js --version`), it passes them to the binary unchanged
// and maps no inputs: a quick way to check which binary a task folder carries.

const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');

/** Platforms the task ships a binary for, as Node names them (`process.platform-process.arch`). */
const PLATFORMS = ['linux-x64', 'linux-arm64', 'win32-x64', 'darwin-x64', 'darwin-arm64'];

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

  const args = [command];
  const configPath = readInput(env, declared, 'configPath');
  if (configPath !== '' && !isDirectory(path.resolve(cwd, configPath))) {
    args.push('--config', configPath);
  }
  args.push('--fail-on', failOn, '--filter-mode', filterMode, '--max-comments', maxComments);
  if (dryRun) {
    args.push('--dry-run');
  }
  for (const pattern of findingsLines(readInput(env, declared, 'findings'))) {
    args.push('--findings', pattern);
  }

  // The binary reads its own variables; the inputs (a token among them) stay with the shim.
  const childEnv = Object.fromEntries(
    Object.entries(env).filter(([name]) => !name.toUpperCase().startsWith('INPUT_')),
  );
  const accessToken = readInput(env, declared, 'accessToken');
  const unexpanded = isUnexpandedMacro(accessToken);
  if (accessToken !== '' && !unexpanded) {
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

  const needsToken = !dryRun && isPullRequestBuild(env);
  const hasToken =
    (childEnv.CODERABBIT_PAT || '').trim() !== '' ||
    (childEnv.SYSTEM_ACCESSTOKEN || '').trim() !== '';
  if (unexpanded) {
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
  return { args, env: childEnv, warnings, failOn };
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
  const key = `${platform}-${arch}`;
  const name = platform === 'win32' ? 'coderabbit-agent.exe' : 'coderabbit-agent';
  const file = path.join(root, 'bin', key, name);
  if (!PLATFORMS.includes(key)) {
    throw new TaskFailure(
      `coderabbit-agent has no binary for ${key} in this task (it ships ${PLATFORMS.join(', ')}): run the job on an agent of one of those platforms.`,
    );
  }
  if (!fs.existsSync(file)) {
    throw new TaskFailure(
      `coderabbit-agent has no binary for ${key} in this task (bin/${key}/${name} is missing): install a build of the extension that includes it, or run the job on another platform.`,
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
function run(options = {}) {
  const env = options.env || process.env;
  const platform = options.platform || process.platform;
  const arch = options.arch || process.arch;
  const root = options.root || __dirname;
  const out = options.stdout || { write: (text) => fs.writeSync(1, text) };
  const passthrough = options.argv || [];
  return new Promise((resolve) => {
    let prepared;
    let binary;
    try {
      // Mask the secrets before anything else is written.
      const accessToken = (env.INPUT_ACCESSTOKEN || '').trim();
      const llmApiKey = (env.INPUT_LLMAPIKEY || '').trim();
      const jobToken = (env.ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN || '').trim();
      for (const secret of [accessToken, llmApiKey, jobToken]) {
        if (secret !== '' && !isUnexpandedMacro(secret)) {
          out.write(`##vso[task.setsecret]${escapeData(secret)}\n`);
        }
      }
      binary = binaryPath(root, platform, arch);
      if (passthrough.length > 0) {
        prepared = { args: passthrough, env, warnings: [], failOn: '' };
      } else {
        const cwd = (env.BUILD_SOURCESDIRECTORY || '').trim() || process.cwd();
        prepared = plan(env, loadInputs(root), { cwd });
        prepared.cwd = cwd;
      }
      makeExecutable(binary, platform);
    } catch (err) {
      if (err instanceof TaskFailure) {
        fail(out, err.message);
        resolve(2);
        return;
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
  PLATFORMS,
  TaskFailure,
  binaryPath,
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
