'use strict';
/*
 * One UDP flow through the routing mesh, run in the lab's network namespace (lab.sh ns node THIS ...):
 *   node udp-flow.cjs HOST PORT SRCPORT COUNT
 * sends COUNT datagrams, half a second apart, from the fixed source port SRCPORT (the same flow each
 * time: IPVS keys its UDP entries by client address and port) to HOST:PORT, waits 1.5 s more, and
 * prints {"sent": N, "replies": [...]} (the lab's UDP service answers with its task's hostname).
 */
const dgram = require('node:dgram');
const [host, port, src, count] = process.argv.slice(2);
const s = dgram.createSocket('udp4');
const replies = [];
s.on('message', (m) => replies.push(String(m)));
s.bind(Number(src), () => {
  let i = 0;
  const t = setInterval(() => {
    s.send(`ping ${i}`, Number(port), host);
    if (++i >= Number(count)) {
      clearInterval(t);
      setTimeout(() => {
        process.stdout.write(JSON.stringify({ sent: i, replies }) + '\n');
        s.close();
      }, 1500);
    }
  }, 500);
});
