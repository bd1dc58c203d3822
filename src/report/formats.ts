/**
 * The report formats, by name: the list the `--format` flag accepts. Kept apart from the reporters
 * so that parsing the command line loads none of them.
 */
export const FORMATS = ['stylish', 'json', 'junit', 'sarif', 'github', 'prometheus', 'nagios', 'html'] as const;
