import assert from 'node:assert/strict';
import { test } from 'node:test';
import { format, inspect } from 'node:util';
import { describeError, KittError } from './errors.js';
import { redactUrl, revealEnv, SECRET_MASK, Secret } from './secret.js';

test('a secret serialises as the mask however it is turned into text', () => {
  const token = new Secret('tok-9f3a');
  const holder = { export: { influx: { token } } };
  const texts = [
    JSON.stringify(holder),
    `${token}`,
    String(token),
    inspect(holder, { depth: 5 }),
    format('%s %o %O %j', token, holder, holder, holder),
  ];
  for (const text of texts) {
    assert.doesNotMatch(text, /tok-9f3a/, text);
    assert.match(text, /\*{8}/, text);
  }
  assert.equal(JSON.stringify(holder), `{"export":{"influx":{"token":"${SECRET_MASK}"}}}`);
  assert.equal(token.reveal(), 'tok-9f3a');
});

test('a cloned or spread secret carries no value', () => {
  const token = new Secret('tok-9f3a');
  assert.doesNotMatch(JSON.stringify(structuredClone({ token })), /tok-9f3a/);
  assert.deepEqual(Object.entries(token), []);
  assert.deepEqual({ ...token }, {});
});

test('a URL secret shows the URL without its password and reveals the whole URL', () => {
  const url = Secret.url('postgres://kitt:pg-pa55@127.0.0.1:5432/kitt');
  assert.equal(`${url}`, 'postgres://kitt:********@127.0.0.1:5432/kitt');
  assert.equal(JSON.stringify({ url }), '{"url":"postgres://kitt:********@127.0.0.1:5432/kitt"}');
  assert.equal(url.reveal(), 'postgres://kitt:pg-pa55@127.0.0.1:5432/kitt');
  assert.equal(`${Secret.url('/home/me/.kitt/kitt.db')}`, '/home/me/.kitt/kitt.db');
});

test('revealEnv hands the engine plain values', () => {
  assert.deepEqual(revealEnv({ HF_TOKEN: new Secret('hf_x'), OMP_NUM_THREADS: '2' }), {
    HF_TOKEN: 'hf_x',
    OMP_NUM_THREADS: '2',
  });
});

test('redactUrl removes userinfo passwords of any scheme', () => {
  assert.equal(redactUrl('ftp://u:p@h'), 'ftp://u:********@h');
  assert.equal(
    redactUrl('cannot open postgres://kitt:s3:c@r3t@db:5432/kitt: refused'),
    'cannot open postgres://kitt:********@db:5432/kitt: refused',
  );
  assert.equal(redactUrl('see http://a:b@x/y and https://c:d@z'), 'see http://a:********@x/y and https://c:********@z');
});

test('redactUrl removes password, token, secret and key query parameters', () => {
  assert.equal(
    redactUrl('postgres://db/kitt?user=kitt&password=s3cret&sslmode=require'),
    'postgres://db/kitt?user=kitt&password=********&sslmode=require',
  );
  assert.equal(
    redactUrl('http://h/write?db=kitt&u=me&p=pw1&token=t1&client_secret=c1&api_key=k1#x'),
    'http://h/write?db=kitt&u=me&p=********&token=********&client_secret=********&api_key=********#x',
  );
  assert.equal(redactUrl('http://h/?key=abc'), 'http://h/?key=********');
});

test('redactUrl leaves text without credentials as it is', () => {
  for (const text of [
    'http://127.0.0.1:8086/write?db=kitt&precision=ms',
    'postgres://kitt@127.0.0.1:5432/kitt',
    'connect ECONNREFUSED 127.0.0.1:5432',
    'mail me at a@b.example: http://host:8080/path',
    '{"url":"http://h:80","owner":"me@example.com"}',
  ]) {
    assert.equal(redactUrl(text), text);
  }
});

test('the final error line has URL credentials removed, whatever wrote the message', () => {
  const library = new Error('connect failed for postgres://kitt:lib-secret@db/kitt?password=q-secret');
  const ours = new KittError('STORE_FAILED', 'at ftp://u:msg-secret@h', { hint: 'see https://x:hint-secret@y' });
  for (const error of [library, ours, 'ftp://u:str-secret@h']) {
    const line = describeError(error);
    assert.doesNotMatch(line, /secret/, line);
    assert.match(line, /\*{8}@/);
  }
});
