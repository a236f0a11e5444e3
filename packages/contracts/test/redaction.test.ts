import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactSecrets, secretsFromEnv } from '../src/index.js';

test('secretsFromEnv: whole secret variables and the passwords of the URL variables, nothing short', () => {
  const secrets = secretsFromEnv({
    DATABASE_URL: 'postgres://u:db%2Fpassword@h/db',
    REDIS_URL: 'redis://127.0.0.1:6379',
    S3_SECRET_ACCESS_KEY: 'abcdefghij',
    ADMIN_TOKEN: 'x',
    STORAGE_URL: 'file:./data',
  });
  assert.deepEqual(secrets.sort(), ['abcdefghij', 'db%2Fpassword', 'db/password'].sort());
});

test('redactSecrets: URL passwords, API keys, bearer tokens, named secrets and known values; ordinary text untouched', () => {
  const key = `ty_${'x'.repeat(43)}`;
  assert.equal(
    redactSecrets('postgres://u:pw@h:5432/db and rediss://:pw2@r'),
    'postgres://u:[redacted]@h:5432/db and rediss://:[redacted]@r',
  );
  assert.equal(redactSecrets(`key ${key} revoked`), 'key ty_[redacted] revoked');
  assert.equal(redactSecrets('Authorization: Bearer abc.def'), 'Authorization: Bearer [redacted]');
  assert.equal(redactSecrets('S3_SECRET_ACCESS_KEY=abc/def secret: "xyz"'), 'S3_SECRET_ACCESS_KEY=[redacted] secret: "[redacted]"');
  assert.equal(redactSecrets('the value s3cr3t-value leaked', ['s3cr3t-value']), 'the value [redacted] leaked');
  const ordinary = 'epoch 1/20 step 5/63: loss 2.3222, accuracy 0.0313, learning rate 0.01, 45 images/s (https://example.com/docs)';
  assert.equal(redactSecrets(ordinary, ['short']), ordinary);
});
