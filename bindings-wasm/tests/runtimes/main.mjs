// The Bun and Deno runner: loads the package by its name, so the runtime's own resolver picks
// the export condition, runs the flow and prints its result as one JSON line. argv[0] is the
// flow's input; argv[1] the entry file the condition should select (e.g. "node.mjs").
// Copied by runtimes.test.mjs into a scratch app whose node_modules/connectpsp is the package.
import * as sdk from "connectpsp";
import { flow } from "./flow.mjs";

const args = typeof Deno === "object" ? Deno.args : process.argv.slice(2);
const [input, expectedEntry] = args;
// The same module instance as the intended entry file imported by path: a different entry
// would be a second instance with its own classes.
const intended = await import(`./node_modules/connectpsp/${expectedEntry}`);
const result = await flow(sdk, JSON.parse(input));
result.entry = {
  resolved: import.meta.resolve("connectpsp").split("/").at(-1),
  sameInstanceAsIntended: intended.ConnectPSP === sdk.ConnectPSP,
};
// Bun lets one file both import and require: both must give the same classes (one token cache).
if (typeof Bun === "object") result.entry.requireSameInstance = require("connectpsp").ConnectPSP === sdk.ConnectPSP;
console.log(JSON.stringify(result));
