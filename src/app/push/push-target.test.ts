import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { parseServerUrl, pushTargetFrom } from './push-target.js';

test('a server URL loses its trailing slash, query and fragment, and keeps a path prefix', () => {
  assert.equal(parseServerUrl('http://kitt.example.com:8080/'), 'http://kitt.example.com:8080');
  assert.equal(parseServerUrl('https://example.com/kitt/?x=1#y'), 'https://example.com/kitt');
  assert.throws(() => parseServerUrl('kitt.example.com'), /--server kitt\.example\.com is not a URL/);
  assert.throws(() => parseServerUrl('ftp://example.com', '--upload'), /--upload ftp:\/\/example\.com is not an http/);
});

test('the token comes from the named variable and never shows as text', () => {
  const target = pushTargetFrom('http://127.0.0.1:8080', { LAB: 'kitt_abc_secret' }, 'LAB');
  assert.equal(target.token.reveal(), 'kitt_abc_secret');
  assert.ok(!JSON.stringify(target).includes('secret'));
  assert.ok(!inspect(target).includes('secret'));
  assert.throws(() => pushTargetFrom('http://127.0.0.1:8080', { LAB: '  ' }, 'LAB'), /LAB is not set.*/);
});
