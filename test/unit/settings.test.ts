import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEFAULT_DIAGNOSTIC_OPTIONS } from '../../src/core/diagnostics/types';

/** Every rule threshold is a setting (tcpscope.diagnostics.<name>) with the same default, and nothing else is. */

interface Property {
  type: string;
  default: unknown;
  minimum?: number;
  markdownDescription?: string;
  description?: string;
}

const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { contributes: { configuration: { properties: Record<string, Property> } } };
const properties = manifest.contributes.configuration.properties;
const PREFIX = 'tcpscope.diagnostics.';

test('each DiagnosticOptions key has a setting with its default', () => {
  for (const [key, value] of Object.entries(DEFAULT_DIAGNOSTIC_OPTIONS)) {
    const p = properties[PREFIX + key];
    assert.ok(p, `${PREFIX}${key} is contributed`);
    assert.equal(p.default, value, `${key} default`);
    assert.ok(p.type === 'number' || (p.type === 'integer' && Number.isInteger(value)), `${key} type ${p.type}`);
    assert.ok(typeof p.minimum === 'number' && p.minimum >= 0 && p.minimum <= value, `${key} minimum`);
    assert.ok((p.markdownDescription ?? p.description ?? '').length > 20, `${key} is described`);
  }
});

test('no diagnostics setting without a threshold behind it', () => {
  const keys = Object.keys(properties).filter((k) => k.startsWith(PREFIX)).map((k) => k.slice(PREFIX.length));
  assert.deepEqual(keys.sort(), Object.keys(DEFAULT_DIAGNOSTIC_OPTIONS).sort());
});
