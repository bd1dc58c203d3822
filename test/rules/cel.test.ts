import { baseEnvironment, newestVersion, versionDelta, FUNCTIONS } from '../../src/rules/cel.js';

describe('CEL capability functions', () => {
  const env = baseEnvironment();

  it('newestVersion compares numeric components, not text', () => {
    expect(newestVersion(['20.10.12', '24.0.7', '9.9.9'])).toBe('24.0.7');
    expect(newestVersion(['24.0.10', '24.0.9'])).toBe('24.0.10');
    expect(newestVersion(['v25.0.1', '25.0.0-rc1'])).toBe('v25.0.1');
    expect(newestVersion([])).toBe('');
  });

  it('notFound: the collector was told the input is not there (a file, or Docker\'s "No such network"), not that it failed otherwise', () => {
    const notFound = FUNCTIONS.find((f) => f.signature.startsWith('notFound('))!.handler as unknown as (i: { status: string; error: string }) => boolean;
    expect(notFound({ status: 'uncaptured', error: 'cat: /proc/net/ip_vs: No such file or directory' })).toBe(true);
    expect(notFound({ status: 'uncaptured', error: 'Error: No such network: ingress' })).toBe(true);
    expect(notFound({ status: 'uncaptured', error: "nsenter: reassociate to namespace 'ns/net' failed: Invalid argument" })).toBe(false);
    expect(notFound({ status: 'uncaptured', error: 'Cannot connect to the Docker daemon' })).toBe(false);
    expect(notFound({ status: 'present', error: '' })).toBe(false);
  });

  it('versionDelta names the largest difference', () => {
    expect(versionDelta(['20.10.12', '20.10.12'])).toBe('none');
    expect(versionDelta(['20.10.12', '20.10.21'])).toBe('patch');
    expect(versionDelta(['24.0.7', '24.1.0'])).toBe('minor');
    expect(versionDelta(['20.10.12', '24.0.7'])).toBe('major');
    expect(versionDelta(['v27.5.1', '27.5.1-ce'])).toBe('patch');
    expect(versionDelta(['27.5.1'])).toBe('none');
  });

  it('are callable from CEL with the types their signatures give', () => {
    expect(env.evaluate('hex(8282)', {})).toBe('0x205a');
    expect(env.evaluate('cidrContains("10.0.0.0/24", "10.0.0.98")', {})).toBe(true);
    expect(env.evaluate('cidrContains("10.0.0.0/24", "10.0.1.1")', {})).toBe(false);
    expect(env.evaluate('distinct(["a", "b", "a"])', {})).toEqual(['a', 'b']);
    expect(env.evaluate('versionDelta(["20.10.12", "24.0.7"])', {})).toBe('major');
  });

  it('every function has a description for the rules documentation', () => {
    for (const f of FUNCTIONS) expect(f.description.length).toBeGreaterThan(10);
  });
});
