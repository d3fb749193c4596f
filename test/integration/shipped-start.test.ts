import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SHIPPED_MALLOC_ENV } from '../support/service';

describe('the shipped start commands (README, "Memory")', () => {
  it('npm start sets the allocator settings the tests and benchmarks start the service with', () => {
    assert.deepEqual(SHIPPED_MALLOC_ENV, { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '1048576' });
  });

  it('the Docker image sets the same ones', () => {
    const dockerfile = fs.readFileSync(path.resolve(__dirname, '../../../Dockerfile'), 'utf8');
    for (const [name, value] of Object.entries(SHIPPED_MALLOC_ENV)) assert.match(dockerfile, new RegExp(`^ENV .*\\b${name}=${value}\\b`, 'm'), name);
  });
});
