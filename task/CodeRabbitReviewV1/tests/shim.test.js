'use strict';
// The task's shim as the agent runs it: `node index.js` in a task folder with a binary under
// bin/<platform>-<arch>/, inputs in INPUT_* variables. The binary here is a shell script that
// records its arguments, environment and working directory, and exits as it is told.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const TASK = path.join(__dirname, '..');
const shim = require(path.join(TASK, 'index.js'));
const HOST = `${process.platform}-${process.arch}`;
const TOKEN = 'pat-value-for-tests-7f3a9c';
const LLM_KEY = 'llm-key-for-tests-91bd22';

const FAKE_BINARY = `#!/bin/sh
printf '%s\\n' "$@" > "$FAKE_RECORD/args"
env > "$FAKE_RECORD/env"
pwd > "$FAKE_RECORD/cwd"
echo "fake coderabbit-agent ran"
if [ -n "$FAKE_SIGNAL" ]; then kill -s "$FAKE_SIGNAL" $$; fi
exit "\${FAKE_EXIT:-0}"
`;

/** A task folder as the agent unpacks it: the shim, task.json and a binary without its x bit. */
function taskFolder(t, { binary = true } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'coderabbit-task-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.copyFileSync(path.join(TASK, 'index.js'), path.join(root, 'index.js'));
  fs.copyFileSync(path.join(TASK, 'task.json'), path.join(root, 'task.json'));
  const record = path.join(root, 'record');
  const sources = path.join(root, 'sources');
  fs.mkdirSync(record);
  fs.mkdirSync(sources);
  const bin = path.join(root, 'bin', HOST, 'coderabbit-agent');
  if (binary) {
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    fs.writeFileSync(bin, FAKE_BINARY, { mode: 0o644 });
    fs.chmodSync(bin, 0o644);
  }
  return { root, record, sources, bin };
}

/** The environment of a job step: PATH and HOME only, plus what the test sets. */
function baseEnv(folder, extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME || os.tmpdir(),
    FAKE_RECORD: folder.record,
    BUILD_SOURCESDIRECTORY: folder.sources,
    ...extra,
  };
}

/** A pull request build's predefined variables. */
function prBuild(extra = {}) {
  return {
    TF_BUILD: 'True',
    BUILD_REASON: 'PullRequest',
    SYSTEM_PULLREQUEST_PULLREQUESTID: '7',
    ...extra,
  };
}

function runShim(folder, env, args = []) {
  const result = spawnSync(process.execPath, [path.join(folder.root, 'index.js'), ...args], {
    env,
    encoding: 'utf8',
    cwd: os.tmpdir(),
  });
  return result;
}

function recorded(folder) {
  const file = (name) => path.join(folder.record, name);
  if (!fs.existsSync(file('args'))) {
    return null;
  }
  const args = fs.readFileSync(file('args'), 'utf8').split('\n').slice(0, -1);
  const env = {};
  for (const line of fs.readFileSync(file('env'), 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) {
      env[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  const cwd = fs.readFileSync(file('cwd'), 'utf8').trim();
  return { args, env, cwd };
}

/** Output without the masking commands, which are the only place a secret may appear. */
function unmasked(result) {
  return (result.stdout + result.stderr)
    .split('\n')
    .filter((line) => !line.startsWith('##vso[task.setsecret]'))
    .join('\n');
}

test('maps every input to the argument or environment variable the binary reads', (t) => {
  const folder = taskFolder(t);
  const result = runShim(
    folder,
    baseEnv(folder, {
      ...prBuild(),
      INPUT_COMMAND: 'review',
      INPUT_ACCESSTOKEN: TOKEN,
      INPUT_PLAN: 'pro',
      INPUT_CONFIGPATH: 'ci/coderabbit.yaml',
      INPUT_FAILON: 'major',
      INPUT_FILTERMODE: 'diff_context',
      INPUT_FINDINGS: 'reports/**/*.sarif\r\n\n  checkstyle.xml  \n/tmp/rd.jsonl',
      INPUT_MAXCOMMENTS: '20',
      INPUT_DRYRUN: 'false',
      INPUT_LLMPROVIDER: 'azure-openai',
      INPUT_LLMBASEURL: 'https://example.openai.azure.com',
      INPUT_LLMMODEL: 'review-deployment',
      INPUT_LLMAPIKEY: LLM_KEY,
      INPUT_LLMAPIVERSION: '2024-10-21',
      INPUT_ALLOWINSECUREHTTP: 'True',
    }),
  );
  assert.equal(result.status, 0, result.stdout + result.stderr);
  const run = recorded(folder);
  assert.deepEqual(run.args, [
    'review',
    '--config',
    'ci/coderabbit.yaml',
    '--fail-on',
    'major',
    '--filter-mode',
    'diff_context',
    '--max-comments',
    '20',
    '--findings',
    'reports/**/*.sarif',
    '--findings',
    'checkstyle.xml',
    '--findings',
    '/tmp/rd.jsonl',
  ]);
  assert.equal(run.env.CODERABBIT_PAT, TOKEN);
  assert.equal(run.env.CODERABBIT_PLAN, 'pro');
  assert.equal(run.env.CODERABBIT_LLM_PROVIDER, 'azure-openai');
  assert.equal(run.env.CODERABBIT_LLM_BASE_URL, 'https://example.openai.azure.com');
  assert.equal(run.env.CODERABBIT_LLM_MODEL, 'review-deployment');
  assert.equal(run.env.CODERABBIT_LLM_API_KEY, LLM_KEY);
  assert.equal(run.env.CODERABBIT_LLM_API_VERSION, '2024-10-21');
  assert.equal(run.env.CODERABBIT_ALLOW_INSECURE_HTTP, 'true');
  assert.deepEqual(Object.keys(run.env).filter((name) => name.startsWith('INPUT_')), []);
  assert.equal(fs.realpathSync(run.cwd), fs.realpathSync(folder.sources));
  assert.match(result.stdout, /fake coderabbit-agent ran/);
});

test('uses the defaults of task.json for inputs the agent did not set', (t) => {
  const folder = taskFolder(t);
  const result = runShim(folder, baseEnv(folder));
  assert.equal(result.status, 0, result.stdout + result.stderr);
  const run = recorded(folder);
  assert.deepEqual(run.args, [
    'review',
    '--fail-on',
    'none',
    '--filter-mode',
    'added',
    '--max-comments',
    '50',
  ]);
  assert.equal(run.env.CODERABBIT_PLAN, 'free');
  assert.equal(run.env.CODERABBIT_LLM_PROVIDER, undefined);
  assert.equal(run.env.CODERABBIT_ALLOW_INSECURE_HTTP, undefined);
  assert.equal(run.env.CODERABBIT_PAT, undefined);
});

test('remediate gets only the options it accepts, with a pick-list value in another case', (t) => {
  const folder = taskFolder(t);
  const result = runShim(
    folder,
    baseEnv(folder, {
      INPUT_COMMAND: 'Remediate',
      INPUT_CONFIGPATH: 'ci/coderabbit.yaml',
      INPUT_FAILON: 'CRITICAL',
      INPUT_FILTERMODE: 'file',
      INPUT_FINDINGS: 'a.sarif',
      INPUT_MAXCOMMENTS: '5',
      INPUT_DRYRUN: 'true',
    }),
  );
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.deepEqual(recorded(folder).args, ['remediate', '--config', 'ci/coderabbit.yaml', '--dry-run']);
});

test('doctor gets only --config, and needs no token in a PR build', (t) => {
  const folder = taskFolder(t);
  const result = runShim(
    folder,
    baseEnv(folder, {
      ...prBuild(),
      INPUT_COMMAND: 'doctor',
      INPUT_CONFIGPATH: 'ci/coderabbit.yaml',
      INPUT_FAILON: 'major',
      INPUT_DRYRUN: 'true',
      INPUT_FINDINGS: 'a.sarif',
    }),
  );
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.deepEqual(recorded(folder).args, ['doctor', '--config', 'ci/coderabbit.yaml']);
});

/** What each command of the binary accepts (the binary's interface, as its owner set it). */
const ACCEPTED = {
  review: ['--repo', '--base', '--head', '--config', '--fail-on', '--filter-mode', '--findings', '--max-comments', '--dry-run', '--format'],
  remediate: ['--repo', '--base', '--head', '--config', '--dry-run', '--format'],
  doctor: ['--repo', '--base', '--head', '--config'],
};

test('every command is passed only options the binary accepts for it, whatever the inputs', (t) => {
  for (const command of Object.keys(ACCEPTED)) {
    const folder = taskFolder(t);
    const result = runShim(
      folder,
      baseEnv(folder, {
        INPUT_COMMAND: command,
        INPUT_CONFIGPATH: 'c.yaml',
        INPUT_FAILON: 'minor',
        INPUT_FILTERMODE: 'file',
        INPUT_FINDINGS: 'a.sarif\nb.xml',
        INPUT_MAXCOMMENTS: '3',
        INPUT_DRYRUN: 'true',
      }),
    );
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const args = recorded(folder).args;
    assert.equal(args[0], command);
    const flags = args.filter((arg) => arg.startsWith('--'));
    for (const flag of flags) {
      assert.ok(ACCEPTED[command].includes(flag), `${command} does not accept ${flag}: ${args.join(' ')}`);
    }
    assert.ok(flags.includes('--config'), `${command}: ${args.join(' ')}`);
  }
});

test('an invalid pick-list value fails the step with one sentence, before the binary runs', (t) => {
  const cases = [
    ['INPUT_FAILON', 'loud', 'Input failOn is `loud`; valid values: none, info, trivial, minor, major, critical.'],
    ['INPUT_COMMAND', 'fix', 'Input command is `fix`; valid values: review, remediate, doctor, respond.'],
    ['INPUT_PLAN', 'gold', 'Input plan is `gold`; valid values: free, pro.'],
    ['INPUT_FILTERMODE', 'lines', 'Input filterMode is `lines`; valid values: added, diff_context, file, nofilter.'],
    ['INPUT_LLMPROVIDER', 'gpt', 'Input llmProvider is `gpt`; valid values: none, openai, azure-openai, anthropic.'],
    ['INPUT_DRYRUN', 'maybe', 'Input dryRun is `maybe`; valid values: true, false.'],
  ];
  for (const [variable, value, sentence] of cases) {
    const folder = taskFolder(t);
    const result = runShim(folder, baseEnv(folder, { [variable]: value }));
    assert.equal(result.status, 2, `${variable}: ${result.stdout}`);
    assert.ok(
      result.stdout.includes(`##vso[task.complete result=Failed;]${sentence}\n`),
      `${variable}: ${result.stdout}`,
    );
    assert.ok(result.stdout.includes(`##vso[task.logissue type=error]${sentence}\n`));
    assert.equal(recorded(folder), null, `${variable}: the binary must not run`);
  }
});

test('maxComments must be a whole number', (t) => {
  const folder = taskFolder(t);
  const result = runShim(folder, baseEnv(folder, { INPUT_MAXCOMMENTS: 'lots' }));
  assert.equal(result.status, 2);
  assert.match(result.stdout, /Input maxComments is `lots`; it must be a whole number/);
  assert.equal(recorded(folder), null);
});

test('a PR build without a token says how to map the secret', (t) => {
  const folder = taskFolder(t);
  const result = runShim(folder, baseEnv(folder, prBuild({ INPUT_ACCESSTOKEN: '' })));
  assert.equal(result.status, 2, result.stdout);
  assert.match(result.stdout, /##vso\[task\.complete result=Failed;\]No access token: .*`accessToken: \$\(CodeRabbitPAT\)`/);
  assert.equal(recorded(folder), null);
});

test('an unexpanded $(CodeRabbitPAT) is named as a missing secret variable, not masked', (t) => {
  const folder = taskFolder(t);
  const result = runShim(folder, baseEnv(folder, prBuild({ INPUT_ACCESSTOKEN: '$(CodeRabbitPAT)' })));
  assert.equal(result.status, 2, result.stdout);
  assert.ok(!result.stdout.includes('##vso[task.setsecret]'), result.stdout);
  assert.match(result.stdout, /Input accessToken is `\$\(CodeRabbitPAT\)`, a macro the pipeline did not expand/);
  assert.equal(recorded(folder), null);
});

test('without accessToken, a mapped SYSTEM_ACCESSTOKEN is left to the binary', (t) => {
  const folder = taskFolder(t);
  const result = runShim(folder, baseEnv(folder, prBuild({ SYSTEM_ACCESSTOKEN: 'build-service-token' })));
  assert.equal(result.status, 0, result.stdout + result.stderr);
  const run = recorded(folder);
  assert.equal(run.env.SYSTEM_ACCESSTOKEN, 'build-service-token');
  assert.equal(run.env.CODERABBIT_PAT, undefined);
});

test('without accessToken, the job token from the SystemVssConnection endpoint is the fallback', (t) => {
  const folder = taskFolder(t);
  const env = prBuild({ ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: 'job-token-value' });
  const result = runShim(folder, baseEnv(folder, env));
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.ok(result.stdout.startsWith('##vso[task.setsecret]job-token-value'), result.stdout);
  const run = recorded(folder);
  assert.equal(run.env.SYSTEM_ACCESSTOKEN, 'job-token-value');
  assert.equal(run.env.CODERABBIT_PAT, undefined);
});

test('a dry run or a build that is not a PR build needs no token', (t) => {
  for (const env of [prBuild({ INPUT_DRYRUN: 'true' }), { TF_BUILD: 'True', BUILD_REASON: 'IndividualCI' }]) {
    const folder = taskFolder(t);
    const result = runShim(folder, baseEnv(folder, env));
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.notEqual(recorded(folder), null);
  }
});

test('masks the token and the LLM key first and never prints them', (t) => {
  const inputs = {
    INPUT_ACCESSTOKEN: TOKEN,
    INPUT_LLMPROVIDER: 'openai',
    INPUT_LLMAPIKEY: LLM_KEY,
  };
  for (const extra of [{}, { INPUT_FAILON: 'loud' }, { FAKE_EXIT: '2' }, { INPUT_MAXCOMMENTS: 'x' }]) {
    const folder = taskFolder(t);
    const result = runShim(folder, baseEnv(folder, prBuild({ ...inputs, ...extra })));
    const lines = result.stdout.split('\n');
    assert.equal(lines[0], `##vso[task.setsecret]${TOKEN}`);
    assert.equal(lines[1], `##vso[task.setsecret]${LLM_KEY}`);
    const text = unmasked(result);
    assert.ok(!text.includes(TOKEN), `token printed with ${JSON.stringify(extra)}: ${text}`);
    assert.ok(!text.includes(LLM_KEY), `LLM key printed with ${JSON.stringify(extra)}: ${text}`);
  }
});

test('passes the exit status on, and fails the step on 1, 2 and a signal', (t) => {
  const cases = [
    [{}, 0, null],
    [{ FAKE_EXIT: '1', INPUT_FAILON: 'minor' }, 1, 'coderabbit-agent found issues at or above the failOn severity (minor).'],
    [{ FAKE_EXIT: '2' }, 2, 'coderabbit-agent could not do its job (exit status 2)'],
    [{ FAKE_SIGNAL: 'TERM' }, 2, 'coderabbit-agent was stopped by SIGTERM.'],
  ];
  for (const [env, status, sentence] of cases) {
    const folder = taskFolder(t);
    const result = runShim(folder, baseEnv(folder, env));
    assert.equal(result.status, status, `${JSON.stringify(env)}: ${result.stdout}`);
    if (sentence === null) {
      assert.ok(!result.stdout.includes('result=Failed'), result.stdout);
    } else {
      assert.ok(result.stdout.includes(`##vso[task.complete result=Failed;]${sentence}`), result.stdout);
    }
  }
});

test('restores the execute bit that VSIX packing drops', (t) => {
  const folder = taskFolder(t);
  assert.equal(fs.statSync(folder.bin).mode & 0o777, 0o644);
  const result = runShim(folder, baseEnv(folder));
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.equal(fs.statSync(folder.bin).mode & 0o777, 0o755);
});

test('with arguments, passes them to the binary unchanged', (t) => {
  const folder = taskFolder(t);
  const result = runShim(folder, baseEnv(folder, { INPUT_FAILON: 'loud' }), ['--version']);
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.deepEqual(recorded(folder).args, ['--version']);
});

test('picks bin/<platform>-<arch>/coderabbit-agent[.exe] for the five platforms', (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'coderabbit-platforms-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  assert.deepEqual(shim.PLATFORMS, ['linux-x64', 'linux-arm64', 'win32-x64', 'darwin-x64', 'darwin-arm64']);
  for (const key of shim.PLATFORMS) {
    const [platform, arch] = key.split('-');
    const name = platform === 'win32' ? 'coderabbit-agent.exe' : 'coderabbit-agent';
    fs.mkdirSync(path.join(root, 'bin', key), { recursive: true });
    fs.writeFileSync(path.join(root, 'bin', key, name), '');
    assert.equal(shim.binaryPath(root, platform, arch), path.join(root, 'bin', key, name));
  }
});

test('the platform choice: win32-x64 takes the .exe, the others the bare name, others none', () => {
  const expected = {
    'win32-x64': 'bin/win32-x64/coderabbit-agent.exe',
    'linux-x64': 'bin/linux-x64/coderabbit-agent',
    'linux-arm64': 'bin/linux-arm64/coderabbit-agent',
    'darwin-x64': 'bin/darwin-x64/coderabbit-agent',
    'darwin-arm64': 'bin/darwin-arm64/coderabbit-agent',
  };
  for (const [key, relative] of Object.entries(expected)) {
    const [platform, arch] = key.split('-');
    const choice = shim.platformBinary(platform, arch);
    assert.equal(choice.relative, relative);
    assert.equal(choice.shipped, true, key);
  }
  assert.equal(shim.platformBinary('win32', 'arm64').shipped, false);
  assert.equal(shim.platformBinary('linux', 'ia32').shipped, false);
});

test('a platform without a binary fails with a sentence naming it', (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'coderabbit-platforms-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  assert.throws(() => shim.binaryPath(root, 'linux', 'ia32'), (err) => {
    assert.ok(err instanceof shim.TaskFailure);
    assert.match(err.message, /^coderabbit-agent has no binary for linux-ia32 in this task /);
    return true;
  });
  assert.throws(() => shim.binaryPath(root, 'darwin', 'arm64'), /no binary for darwin-arm64 in this task \(bin\/darwin-arm64\/coderabbit-agent is missing\)/);
  assert.throws(() => shim.binaryPath(root, 'win32', 'x64'), /bin\/win32-x64\/coderabbit-agent\.exe is missing/);

  // And end to end: a task folder without a binary for this machine.
  const folder = taskFolder(t, { binary: false });
  const result = runShim(folder, baseEnv(folder));
  assert.equal(result.status, 2);
  assert.ok(result.stdout.includes(`##vso[task.complete result=Failed;]coderabbit-agent has no binary for ${HOST} in this task`), result.stdout);
});

test('findings: one argument per non-empty line, globs left to the binary', () => {
  assert.deepEqual(shim.findingsLines(''), []);
  assert.deepEqual(shim.findingsLines(' a.sarif \r\n\n**/*.xml\n  \n'), ['a.sarif', '**/*.xml']);
});

test('a configPath that is a directory (an empty path input) is ignored', (t) => {
  const folder = taskFolder(t);
  const result = runShim(folder, baseEnv(folder, { INPUT_CONFIGPATH: folder.sources }));
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.ok(!recorded(folder).args.includes('--config'));
});

test('logging command data is escaped', () => {
  assert.equal(shim.escapeData('50% done\r\nnext'), '50%AZP25 done%0D%0Anext');
});

test('task.json declares the inputs the shim reads, with Node20_1 and Node24 handlers', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(TASK, 'task.json'), 'utf8'));
  const names = manifest.inputs.map((input) => input.name);
  assert.deepEqual(names, [
    'command', 'accessToken', 'connectedServiceName', 'plan', 'configPath', 'failOn', 'filterMode', 'findings',
    'maxComments', 'dryRun', 'llmProvider', 'llmBaseUrl', 'llmModel', 'llmApiKey',
    'llmApiVersion', 'allowInsecureHttp',
  ]);
  assert.equal(manifest.execution.Node20_1.target, 'index.js');
  assert.equal(manifest.execution.Node24.target, 'index.js');
  assert.equal(manifest.name, 'CodeRabbitReview');
  assert.equal(manifest.version.Major, 1);
  const connection = manifest.inputs.find((input) => input.name === 'connectedServiceName');
  assert.equal(connection.type, 'connectedService:AzureRM');
  assert.equal(connection.required, false);
});
