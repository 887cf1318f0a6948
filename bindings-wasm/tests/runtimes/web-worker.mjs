// The Web Worker runner: a module worker in headless Chromium (runtimes.test.mjs starts it)
// loads the package from the file the `worker` export condition selects (`?entry=`, resolved by
// the test as a bundler targeting workers does: a browser has no resolver for bare names), says
// "ready", then runs the flow on the one message it is sent and posts back the result.
// In a worker the browser guard applies as on a page: a client without dangerouslyAllowBrowser
// is refused, which is checked first.
const entry = new URL(self.location.href).searchParams.get("entry");
const sdk = await import(`./node_modules/connectpsp/${entry}`);
const { flow } = await import("./flow.mjs");

self.onmessage = async ({ data }) => {
  try {
    const { dangerouslyAllowBrowser, ...withoutFlag } = data.options;
    let guard = "no error";
    try {
      new sdk.ConnectPSP(withoutFlag);
    } catch (error) {
      guard = { name: error.name, code: error.code, isSdkError: error instanceof sdk.ConnectPSPError };
    }
    const result = await flow(sdk, data);
    self.postMessage({ result: { ...result, entry: { guard, allowed: dangerouslyAllowBrowser } } });
  } catch (error) {
    self.postMessage({ error: `${error?.name}: ${error?.message}\n${error?.stack ?? ""}` });
  }
};
self.postMessage({ ready: true });
