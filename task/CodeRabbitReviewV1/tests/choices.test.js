'use strict';
// One source of truth for the task's choices: task.json's pick lists. The shim reads them from
// task.json (it keeps no list of its own but the command table), and every template of
// pipeline-templates/ offers the same values in its parameters' `values:` lists. The binary's
// side (its value enums) is compared with task.json by the Rust test of the templates.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const TASK = path.join(__dirname, '..');
const REPOSITORY = path.join(TASK, '..', '..');
const shim = require(path.join(TASK, 'index.js'));
const manifest = JSON.parse(fs.readFileSync(path.join(TASK, 'task.json'), 'utf8'));

/** The keys of a pick-list input's options, in task.json's order. */
function pickList(name) {
  const input = manifest.inputs.find((candidate) => candidate.name === name);
  assert.ok(input, `task.json declares ${name}`);
  assert.equal(input.type, 'pickList', name);
  return Object.keys(input.options);
}

test('the pick lists are the ones the contract gives', () => {
  assert.deepEqual(pickList('command'), ['review', 'remediate', 'doctor', 'respond']);
  assert.deepEqual(pickList('failOn'), ['none', 'info', 'trivial', 'minor', 'major', 'critical']);
  assert.deepEqual(pickList('filterMode'), ['added', 'diff_context', 'file', 'nofilter']);
  assert.deepEqual(pickList('plan'), ['free', 'pro']);
  assert.deepEqual(pickList('llmProvider'), ['none', 'openai', 'azure-openai', 'anthropic']);
});

test("the shim's command table has exactly task.json's commands, and each option it names exists", () => {
  assert.deepEqual(Object.keys(shim.COMMANDS), pickList('command'));
  for (const [command, spec] of Object.entries(shim.COMMANDS)) {
    for (const option of spec.options) {
      assert.equal(typeof shim.OPTIONS[option], 'function', `${command}: option ${option}`);
    }
  }
});

test('the shim takes the valid values from task.json, not from a list of its own', () => {
  // A copy of task.json with one more value in each pick list: the shim accepts it.
  const declared = JSON.parse(JSON.stringify(manifest.inputs));
  for (const input of declared) {
    if (input.name === 'failOn' || input.name === 'filterMode' || input.name === 'plan' || input.name === 'llmProvider') {
      input.options.extra = 'Extra';
    }
  }
  const cwd = os.tmpdir();
  for (const name of ['failOn', 'filterMode', 'plan', 'llmProvider']) {
    const env = { [`INPUT_${name.toUpperCase()}`]: 'extra' };
    assert.doesNotThrow(() => shim.plan(env, declared, { cwd }), name);
    assert.throws(() => shim.plan(env, manifest.inputs, { cwd }), shim.TaskFailure, name);
  }
});

/**
 * The `parameters:` of a template as name → `values:` list (or null): enough YAML for the
 * templates' own block of `- name:` items, which is all this reads.
 */
function templateParameters(file) {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  const parameters = {};
  let inBlock = false;
  let current = null;
  let inValues = false;
  for (const line of lines) {
    if (/^parameters:\s*$/.test(line)) {
      inBlock = true;
      continue;
    }
    if (!inBlock) {
      continue;
    }
    if (/^[A-Za-z$]/.test(line)) {
      break;
    }
    let match;
    if ((match = line.match(/^- name:\s*(\S+)\s*$/))) {
      current = match[1];
      parameters[current] = null;
      inValues = false;
    } else if (/^ {2}values:\s*$/.test(line)) {
      inValues = true;
      parameters[current] = [];
    } else if (inValues && (match = line.match(/^ {2}- (\S+)\s*$/))) {
      parameters[current].push(match[1]);
    } else if (/^ {2}\S/.test(line)) {
      inValues = false;
    }
  }
  return parameters;
}

function yamlFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      return yamlFiles(full);
    }
    return /\.ya?ml$/.test(entry.name) ? [full] : [];
  });
}

test("every template parameter named after a pick-list input offers exactly task.json's values", () => {
  const templates = yamlFiles(path.join(REPOSITORY, 'pipeline-templates')).filter((file) => !file.includes(`${path.sep}examples${path.sep}`));
  assert.ok(templates.length >= 4, templates.join(', '));
  let compared = 0;
  for (const file of templates) {
    const parameters = templateParameters(file);
    for (const name of ['failOn', 'filterMode', 'plan', 'llmProvider']) {
      if (!(name in parameters)) {
        continue;
      }
      const where = `${path.relative(REPOSITORY, file)} parameter ${name}`;
      assert.deepEqual(parameters[name], pickList(name), where);
      compared += 1;
    }
  }
  // steps/coderabbit-review.yml, jobs/ and extends/ have all four; the remediation step has llmProvider.
  assert.ok(compared >= 13, `compared ${compared} lists`);
});

test('the reader of template parameters reads values lists (and fails on a drifted one)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coderabbit-template-'));
  try {
    const file = path.join(dir, 'x.yml');
    fs.writeFileSync(
      file,
      'parameters:\n- name: failOn\n  type: string\n  default: none\n  values:\n  - none\n  - major\n- name: other\n  type: string\n\nsteps: []\n',
    );
    assert.deepEqual(templateParameters(file), { failOn: ['none', 'major'], other: null });
    assert.throws(() => assert.deepEqual(templateParameters(file).failOn, pickList('failOn')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
