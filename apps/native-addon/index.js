// Loads both addons and prints what they compute; exits 0 when both answer as expected.
const gyp = require("./build/Release/gyp_addon.node");
const cmake = require("./build-cmake/Release/cmake_addon.node");

const h = gyp.hypot(3, 4);
const s = cmake.sum([1, 2, 3.5]);
console.log(`${gyp.greet()}: hypot(3, 4) = ${h}`);
console.log(`${cmake.name}: sum([1, 2, 3.5]) = ${s}`);
process.exitCode = h === 5 && s === 6.5 ? 0 : 1;
