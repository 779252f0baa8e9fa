// Loads the separately bundled dockerfile-ast on first use (scripts/build-dist.mjs).
'use strict';
let loaded;
const load = () => {
  if (loaded === undefined) loaded = require('./dockerfile-ast/index.js');
  return loaded;
};
const lazyExport = (key) =>
  new Proxy(function () {}, {
    apply: (_target, self, args) => Reflect.apply(load()[key], self, args),
    construct: (_target, args) => Reflect.construct(load()[key], args),
    get: (_target, property) => {
      const real = load()[key];
      const value = Reflect.get(real, property);
      return typeof value === 'function' ? value.bind(real) : value;
    },
  });
const eager = { "DockerfileParser": lazyExport("DockerfileParser") };
module.exports = new Proxy(eager, {
  get(target, key) {
    if (Object.hasOwn(target, key)) return target[key];
    if (key === '__esModule' || key === 'then') return undefined;
    return load()[key];
  },
});
