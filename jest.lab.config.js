import { createDefaultEsmPreset } from 'ts-jest';

const preset = createDefaultEsmPreset({ tsconfig: 'tsconfig.test.json' });

/** The end-to-end suite: a real multi-node swarm (test/lab/lab.sh). Root, dockerd, one worker. */
export default {
  ...preset,
  testEnvironment: 'node',
  roots: ['<rootDir>/test/lab'],
  testMatch: ['**/*.e2e.test.ts'],
  // The working-mesh suite (UML guests) has its own config: jest.mesh.config.js.
  testPathIgnorePatterns: ['/test/lab/uml/'],
  maxWorkers: 1,
  testTimeout: 300_000,
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};
