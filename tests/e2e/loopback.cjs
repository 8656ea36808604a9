// Preload (node -r ./loopback.cjs): force every server in this process onto 127.0.0.1.
// agentsplayground calls server.listen(port, cb) with no host, i.e. all interfaces, and has no flag for it.
'use strict';
const net = require('net');
const HOST = process.env.PLAYGROUND_HOST || '127.0.0.1';
const orig = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, HOST);
  } else if (args[0] && typeof args[0] === 'object' && !args[0].path && !args[0].fd && !args[0]._handle) {
    args[0] = { ...args[0], host: HOST };
  } else if (args.length === 0 || typeof args[0] === 'function') {
    args.unshift(0, HOST);
  }
  return orig.apply(this, args);
};
