// check.mjs -- the contract check: every HTTP exchange the test suites had
// with intake (recorded by tests/support/pktest.c, one JSON object per
// line) is validated against services/intake/openapi.yaml.
//
//   node tools/contract/check.mjs services/intake/openapi.yaml exchanges.jsonl
//
// A violation is anything a client built from the contract could trip on:
// a status, header, media type or body the contract does not declare; a
// request the contract allows that the server calls malformed; a request
// the contract forbids that the server accepts. Prints one line per kind of
// violation (with a count and one example) and exits 1 if there is any.
import fs from 'node:fs';
import YAML from 'yaml';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const [specPath, recordPath] = process.argv.slice(2);
if (!specPath || !recordPath) {
  console.error('usage: check.mjs openapi.yaml exchanges.jsonl');
  process.exit(2);
}
const spec = YAML.parse(fs.readFileSync(specPath, 'utf8'), { strict: true, uniqueKeys: true });
const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, validateFormats: true });
addFormats(ajv);
ajv.addSchema(spec, 'spec.json');

// Headers a client acts on: when the server sends one, the contract must
// declare it on that response.
const SIGNIFICANT_HEADERS = ['retry-after', 'idempotent-replayed', 'www-authenticate', 'allow', 'last-event-id'];

const validators = new Map();
function validator(pointer) {
  if (!validators.has(pointer)) validators.set(pointer, ajv.compile({ $ref: `spec.json#${pointer}` }));
  return validators.get(pointer);
}
// A schema taken out of the document: its references made absolute.
const loose = new Map();
function validateLoose(schema, value) {
  const key = JSON.stringify(schema);
  if (!loose.has(key)) {
    const fix = (o) => (Array.isArray(o) ? o.map(fix) : o && typeof o === 'object'
      ? Object.fromEntries(Object.entries(o).map(([k, v]) => [k, k === '$ref' && v.startsWith('#') ? `spec.json${v}` : fix(v)]))
      : o);
    loose.set(key, ajv.compile(fix(schema)));
  }
  const v = loose.get(key);
  const ok = v(value);
  validateLoose.errors = v.errors;
  return ok;
}
const esc = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function deref(obj) {
  let o = obj;
  while (o && o.$ref) {
    const parts = o.$ref.replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    o = parts.reduce((a, k) => a[k], spec);
  }
  return o;
}

const templates = Object.keys(spec.paths).map((t) => ({
  template: t,
  names: [...t.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]),
  re: new RegExp('^' + t.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '([^/]+)') + '$'),
}));
function findPath(path) {
  return templates.find((t) => t.re.test(path));
}

const violations = new Map();
let checked = 0;
const covered = new Set();
function violation(where, kind, message, example) {
  const key = `${where} | ${kind} | ${message}`;
  const v = violations.get(key) || { count: 0, example };
  v.count++;
  violations.set(key, v);
}

function mediaType(ct) {
  return (ct || '').split(';')[0].trim().toLowerCase();
}

function errorsText(errors) {
  return (errors || [])
    .slice(0, 3)
    .map((e) => `${e.instancePath || '/'} ${e.message}${e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`)
    .join('; ');
}

// Server-Sent Events: "id: n" / "event: x" / "data: y" frames separated by
// blank lines. A last frame without its blank line was cut by the client
// (a stream read until a deadline): it is left out, not called malformed.
function sseEvents(body) {
  const events = [];
  const frames = body.split('\n\n');
  frames.pop(); // what follows the last blank line: empty, or a cut frame
  for (const frame of frames) {
    let event = 'message';
    let id;
    const data = [];
    let any = false;
    for (const line of frame.split('\n')) {
      if (line.startsWith('event:')) { event = line.slice(6).trim(); any = true; }
      else if (line.startsWith('data:')) { data.push(line.slice(5).replace(/^ /, '')); any = true; }
      else if (line.startsWith('id:')) id = line.slice(3).trim();
    }
    if (any && data.length) events.push({ event, id, data: data.join('\n') });
  }
  return events;
}

// A parameter's value from the URL, as its schema's type.
function typed(schema, value) {
  const s = deref(schema) || {};
  if (s.type === 'integer' || s.type === 'number') return value.trim() === '' ? value : Number(value);
  if (s.type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

// Path parameters: a 2xx for a value the contract refuses is a violation.
function checkPathParams(where, op, pathItem, found, path, ex) {
  const values = found.re.exec(path).slice(1);
  const params = [...(pathItem.parameters || []), ...(op.parameters || [])].map(deref).filter((p) => p.in === 'path');
  found.names.forEach((name, i) => {
    const p = params.find((q) => q.name === name);
    if (!p) { violation(where, 'contract', `path parameter "${name}" not declared`, ex); return; }
    let v;
    try { v = decodeURIComponent(values[i]); } catch { v = values[i]; }
    if (p.schema && !validateLoose(p.schema, typed(p.schema, v)))
      violation(where, 'request', `server accepted path parameter "${name}" outside the contract: ${errorsText(validateLoose.errors)}`, ex);
  });
}

// The security an operation asks for: a 2xx without the bearer it needs
// is a violation (a route the gate forgot).
function checkSecurity(where, op, reqHeaders, ex) {
  const security = op.security ?? spec.security ?? [];
  const anonymous = security.length === 0 || security.some((req) => Object.keys(req).length === 0);
  if (anonymous) return;
  const bearer = security.some((req) => Object.keys(req).some((name) => {
    const scheme = spec.components?.securitySchemes?.[name];
    return scheme?.type === 'http' && scheme.scheme === 'bearer';
  }));
  if (bearer && !/^Bearer \S/i.test(reqHeaders.authorization ?? ''))
    violation(where, 'security', 'a 2xx without the bearer token the operation requires', ex);
}

function checkQuery(where, op, pathItem, query, ex) {
  const params = [...(pathItem.parameters || []), ...(op.parameters || [])].map(deref).filter((p) => p.in === 'query');
  for (const p of params)
    if (p.required && !query.some(([name]) => name === p.name))
      violation(where, 'request', `server accepted a request without the required query parameter "${p.name}"`, ex);
  for (const [name, value] of query) {
    const p = params.find((q) => q.name === name);
    if (!p) { violation(where, 'request', `query parameter "${name}" not declared`, ex); continue; }
    const ok = validateLoose(p.schema, typed(p.schema, value));
    if (!ok) violation(where, 'request', `query parameter "${name}" outside the contract: ${errorsText(validateLoose.errors)}`, ex);
  }
}

function checkResponseHeaders(where, res, headers, ex) {
  const declared = Object.fromEntries(Object.entries(res.headers || {}).map(([k, v]) => [k.toLowerCase(), deref(v)]));
  for (const h of SIGNIFICANT_HEADERS) {
    if (headers[h] !== undefined && !declared[h]) violation(where, 'response', `header ${h} sent but not declared`, ex);
  }
  for (const [name, h] of Object.entries(declared)) {
    if (h.required && headers[name] === undefined) violation(where, 'response', `required header ${name} missing`, ex);
    if (headers[name] !== undefined && h.schema) {
      const s = deref(h.schema);
      let v = headers[name];
      if (s.type === 'integer' || s.type === 'number') v = Number(v);
      if (!validateLoose(h.schema, v)) violation(where, 'response', `header ${name} outside the contract: ${errorsText(validateLoose.errors)}`, ex);
    }
  }
}

let web = 0;
function check(ex) {
  const [path, qs] = ex.path.split('?');
  // The web apps' files at / are not the API: outside this contract (the
  // Play Store app's asset links are in it).
  if (!path.startsWith('/v1/') && path !== '/healthz' && path !== '/readyz' && path !== '/.well-known/assetlinks.json') {
    web++;
    return;
  }
  checked++;
  const query = [...new URLSearchParams(qs || '')];
  const method = ex.method.toLowerCase();
  const status = ex.status;
  const rh = ex.response_headers || {};
  const found = findPath(path);
  const generic = `${ex.method} (any path)`;
  if (!found) {
    if (status !== 404 && status !== 400) violation(generic, 'path', `undocumented path answered ${status}`, ex);
    checkError(generic, ex);
    return;
  }
  const pathItem = spec.paths[found.template];
  const opMethod = method === 'head' ? 'get' : method;
  const op = pathItem[opMethod];
  const where = `${ex.method} ${found.template}`;
  if (!op) {
    if (status !== 405) violation(where, 'method', `method without operation answered ${status}`, ex);
    else if (!rh.allow) violation(where, 'method', '405 without Allow', ex);
    checkError(where, ex);
    return;
  }
  covered.add(`${opMethod.toUpperCase()} ${found.template}`);
  if (!op.operationId) violation(where, 'operation', 'no operationId', ex);

  // The request: is it one the contract allows?
  const reqHeaders = ex.request_headers || {};
  const reqCt = mediaType(reqHeaders['content-type']);
  const body = ex.request_body || '';
  const rb = deref(op.requestBody);
  const ok2xx = status >= 200 && status < 300;
  if (ok2xx) {
    checkQuery(where, op, pathItem, query, ex);
    checkPathParams(where, op, pathItem, found, path, ex);
    checkSecurity(where, op, reqHeaders, ex);
  }
  const problems = [];
  const params = [...(pathItem.parameters || []), ...(op.parameters || [])].map(deref);
  for (const p of params.filter((q) => q.in === 'header')) {
    const v = reqHeaders[p.name.toLowerCase()];
    if (v === undefined) { if (p.required) problems.push(`header ${p.name} missing`); continue; }
    if (p.schema && !validateLoose(p.schema, v)) problems.push(`header ${p.name}: ${errorsText(validateLoose.errors)}`);
  }
  if (body.length) {
    if (!rb) problems.push('a body where the contract declares none');
    else if (!rb.content[reqCt]) problems.push(`content type "${reqCt}" not declared`);
    else if (reqCt === 'application/json') {
      let parsed;
      let parsedOk = true;
      try { parsed = JSON.parse(body); } catch { parsedOk = false; }
      if (!parsedOk) problems.push('malformed JSON');
      else if (rb.content['application/json'].schema) {
        const v = op.requestBody.$ref
          ? validator(op.requestBody.$ref.slice(1) + '/content/application~1json/schema')
          : validator(`/paths/${esc(found.template)}/${opMethod}/requestBody/content/application~1json/schema`);
        if (!v(parsed)) problems.push(`body: ${errorsText(v.errors)}`);
      }
    }
  } else if (rb && rb.required) {
    problems.push('the required body is missing');
  }
  if (problems.length && ok2xx) violation(where, 'request', `server accepted a request the contract refuses: ${problems[0]}`, ex);
  if (!problems.length && (status === 400 || status === 415)) violation(where, 'request', `a request the contract allows answered ${status}`, ex);

  // The response.
  const responses = op.responses || {};
  const resRaw = responses[String(status)] || responses[`${String(status)[0]}XX`] || responses.default;
  if (!resRaw) {
    violation(where, 'status', `status ${status} not declared`, ex);
    return;
  }
  const res = deref(resRaw);
  checkResponseHeaders(where, res, rh, ex);
  if (method === 'head') {
    if (ex.response_body) violation(where, 'response', 'HEAD answered with a body', ex);
    return;
  }
  const ct = mediaType(rh['content-type']);
  const text = ex.response_body || '';
  if (!res.content) {
    if (text.length) violation(where, 'response', `status ${status} has a body but declares none`, ex);
    return;
  }
  if (!res.content[ct]) {
    violation(where, 'response', `media type "${ct}" not declared for ${status}`, ex);
    return;
  }
  const media = res.content[ct];
  const resPointer = resRaw.$ref
    ? `${resRaw.$ref.slice(1)}/content/${esc(ct)}/schema`
    : `/paths/${esc(found.template)}/${opMethod}/responses/${status in responses ? status : `${String(status)[0]}XX`}/content/${esc(ct)}/schema`;
  if (ct === 'application/json') {
    if (!media.schema) {
      violation(where, 'response', `no schema for the ${status} body`, ex);
      return;
    }
    let parsed;
    try { parsed = JSON.parse(text); } catch { violation(where, 'response', `${status} body is not JSON`, ex); return; }
    const v = validator(resPointer);
    if (!v(parsed)) violation(where, 'response', `${status} body outside the contract: ${errorsText(v.errors)}`, ex);
  } else if (ct === 'text/event-stream') {
    const events = media['x-events'] || {};
    for (const e of sseEvents(text)) {
      if (!events[e.event]) { violation(where, 'response', `stream event "${e.event}" not declared`, ex); continue; }
      let parsed;
      try { parsed = JSON.parse(e.data); } catch { violation(where, 'response', `stream event "${e.event}" data is not JSON`, ex); continue; }
      // The id a client resumes from (Last-Event-ID) is the entry's seq.
      if (e.id !== undefined && parsed && parsed.seq !== undefined && String(parsed.seq) !== e.id)
        violation(where, 'response', `stream event "${e.event}" id ${e.id} is not its seq ${parsed.seq}`, ex);
      const v = validator(`${resPointer.replace(/\/schema$/, '')}/x-events/${esc(e.event)}`);
      if (!v(parsed)) violation(where, 'response', `stream event "${e.event}" outside the contract: ${errorsText(v.errors)}`, ex);
    }
  } else if (media.schema && ok2xx) {
    const v = validator(resPointer);
    if (!v(text)) violation(where, 'response', `${status} body outside the contract: ${errorsText(v.errors)}`, ex);
  }
}

// The answers outside any operation (unknown path, wrong method) are the
// error shape too.
function checkError(where, ex) {
  if (ex.method === 'HEAD') return;
  let parsed;
  try { parsed = JSON.parse(ex.response_body || ''); } catch { violation(where, 'response', `${ex.status} body is not JSON`, ex); return; }
  const v = validator('/components/schemas/Error');
  if (!v(parsed)) violation(where, 'response', `${ex.status} body is not the error shape: ${errorsText(v.errors)}`, ex);
}

const lines = fs.existsSync(recordPath) ? fs.readFileSync(recordPath, 'utf8').split('\n').filter(Boolean) : [];
if (!lines.length) {
  console.log(`contract: nothing recorded in ${recordPath}: the recording is broken, nothing was checked`);
  process.exit(1);
}
let unanswered = 0;
for (const line of lines) {
  const ex = JSON.parse(line);
  if (ex.path === null || ex.request_body_binary || ex.response_body_binary) continue; // garbage sent on purpose
  if (!ex.status) { unanswered++; continue; } // no answer within the client's time: nothing to check
  check(ex);
}

const operations = [];
for (const [p, item] of Object.entries(spec.paths))
  for (const m of ['get', 'put', 'post', 'delete', 'patch'])
    if (item[m]) operations.push(`${m.toUpperCase()} ${p}`);
const unexercised = operations.filter((o) => !covered.has(o));
console.log(`contract: ${checked} exchanges checked against ${specPath}; ${covered.size} of ${operations.length} operations exercised (${web} requests for the web apps' files left out; ${unanswered} without an answer)`);
if (unexercised.length) console.log(`contract: not exercised by the suites: ${unexercised.join(', ')}`);
if (violations.size) {
  let total = 0;
  for (const [key, v] of violations) {
    total += v.count;
    const e = v.example;
    console.log(`VIOLATION ${key} (x${v.count}); e.g. ${e.method} ${e.path} -> ${e.status} ${(e.response_body || '').slice(0, 200)}`);
  }
  console.log(`contract: ${total} violations of ${violations.size} kinds`);
  process.exit(1);
}
console.log('contract: no violations');
