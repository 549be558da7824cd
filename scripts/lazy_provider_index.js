// Loaded into the jsii kernel's node process (NODE_OPTIONS=--require, set by lazy_bindings.py).
//
// @cdktf/provider-aws's lib/index.js runs `exports.x = require("./x")` for all 2,123 resource
// modules (246 MB of JavaScript), so loading the bindings cost about 3.6 s of CPU before any
// resource exists, though the stacks use a few dozen. This hook compiles that one file with each
// of those lines as a getter that requires the module on first use: the kernel reaches every type
// through these exports by name, so each resolves exactly as before, only on demand. Every other
// file, and this one if its layout ever changes (fewer than 100 such lines), loads untouched.
"use strict";
const Module = require("module");
const fs = require("fs");

const INDEX = /[\\/]@cdktf[\\/]provider-aws[\\/](?:.*[\\/])?lib[\\/]index\.js$/;
const EAGER = /^exports\.([A-Za-z0-9_$]+) = require\("(\.\/[A-Za-z0-9_./-]+)"\);$/gm;
const compileJs = Module._extensions[".js"];

Module._extensions[".js"] = function lazyProviderIndex(module, filename) {
  if (INDEX.test(filename)) {
    const source = fs.readFileSync(filename, "utf8");
    let count = 0;
    const lazy = source.replace(EAGER, (_, name, target) => {
      count += 1;
      return (
        `Object.defineProperty(exports, ${JSON.stringify(name)}, ` +
        `{ enumerable: true, configurable: true, get: () => require(${JSON.stringify(target)}) });`
      );
    });
    if (count >= 100) {
      module._compile(lazy, filename);
      return;
    }
  }
  compileJs.call(this, module, filename);
};
