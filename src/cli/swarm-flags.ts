import { Flags } from '@oclif/core';

/** Flags of a whole-swarm run (--swarm), shared by check and capture. */
export const swarmFlags = {
  swarm: Flags.boolean({ description: 'from a manager: probe every node of the swarm through a one-shot global job (API 1.41), then remove it', default: false }),
  'probe-image': Flags.string({ description: 'image of the probe job: any image with a POSIX shell and chroot (it runs the node\'s own tools)', default: 'busybox:stable' }),
  'probe-socket': Flags.string({ description: 'with --swarm: the Docker socket as seen on each node', default: '/var/run/docker.sock' }),
  'probe-timeout': Flags.integer({ description: 'with --swarm: seconds the probe job may take; nodes not done by then are reported as timed out', default: 60, min: 5 }),
};
