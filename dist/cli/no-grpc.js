// Stands in for @grpc/* in this bundle (scripts/build-dist.mjs): BuildKit sessions are not used.
'use strict';
module.exports = new Proxy({}, {
  get(_target, key) {
    if (typeof key === 'symbol' || key === '__esModule' || key === 'then') return undefined;
    throw new Error('BuildKit sessions are not supported by docker-autograder (gRPC is not bundled)');
  },
});
