import { Flags } from '@oclif/core';

/** Where the rules come from, and the team's config: flags of check, rules list, rules show. */
export const ruleSourceFlags = {
  rules: Flags.string({ description: 'folder of rule files to add to the bundled rules (repeatable)', multiple: true, multipleNonGreedy: true }),
  'no-bundled-rules': Flags.boolean({ description: 'leave out the bundled rules: only those of --rules and of the config\'s ruleFolders', default: false }),
  ...configFlags(),
};

/** The config flags alone (rules test takes its folder as an argument). */
export function configFlags() {
  return {
    config: Flags.string({ description: 'config file (default: .mesh-doctor.yaml, .mesh-doctor.yml or mesh-doctor.yaml in the current folder)' }),
    'no-config': Flags.boolean({ description: 'ignore the config file of the current folder', default: false }),
  };
}
