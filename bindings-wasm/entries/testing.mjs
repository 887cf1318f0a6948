// `connectpsp/testing` for `import`: the same module instance as `require` (testing.cjs).
import api from "./testing.cjs";

export const { webhookSignature, webhookEvent, startSandbox } = api;
