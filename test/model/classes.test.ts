import { make, modelClass, modelsOf, toJson } from '../../src/model/classes.js';

describe('modelsOf: model objects of a parsed list, with fields added to each', () => {
  const parsed = [
    { address: '10.0.0.98', port: 0, forward: 'Masq', weight: 1, activeConn: 3, inactConn: 70_000, line: 5 },
    { address: '10.0.0.99', port: 80, forward: 'Route', weight: 0, activeConn: 0, inactConn: 0, line: 6 },
  ];

  it('makes what make() makes from each item and the extra fields: same class, fields in schema order, integers as BigInt', () => {
    const made = modelsOf('IpvsBackend', parsed, { service: 'FWM 256', fwmark: 256 });
    const expected = parsed.map((p) => make('IpvsBackend', { ...p, service: 'FWM 256', fwmark: 256 }));
    expect(made.map((m) => m instanceof modelClass('IpvsBackend'))).toEqual([true, true]);
    expect(made.map((m) => Object.keys(m as object))).toEqual(expected.map((m) => Object.keys(m)));
    expect(made.map(toJson)).toEqual(expected.map(toJson));
    expect(made[0]).toMatchObject({ address: '10.0.0.98', service: 'FWM 256', fwmark: 256n, weight: 1n, inactConn: 70_000n, line: 5n });
  });

  it('leaves the parsed items as they were', () => {
    const copy = JSON.parse(JSON.stringify(parsed));
    modelsOf('IpvsBackend', parsed, { service: 'FWM 1', fwmark: 1 });
    expect(parsed).toEqual(copy);
  });

  it('refuses an extra field the type does not have', () => {
    expect(() => modelsOf('Neighbour', [], { nosuch: 1 })).toThrow('no field among nosuch');
  });
});
