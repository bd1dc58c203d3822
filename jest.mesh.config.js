import { createDefaultEsmPreset } from 'ts-jest';

const preset = createDefaultEsmPreset({ tsconfig: 'tsconfig.test.json' });

/** The working-mesh suite: three UML guests whose mesh carries traffic (test/lab/uml). Root, one worker. */
export default {
  ...preset,
  testEnvironment: 'node',
  roots: ['<rootDir>/test/lab/uml'],
  testMatch: ['**/*.e2e.test.ts'],
  maxWorkers: 1,
  testTimeout: 1_200_000,
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};
