// The workerd worker: a fetch handler that runs the flow through the module named "connectpsp"
// (the file the package's `workerd` export condition selects; see runtimes.test.mjs, which
// writes the config) and answers with the flow's result as JSON (500 with the error otherwise).
import * as sdk from "connectpsp";
import { flow } from "./flow.mjs";

export default {
  async fetch(request) {
    try {
      const result = await flow(sdk, await request.json());
      return Response.json(result);
    } catch (error) {
      return Response.json({ error: String(error), stack: error?.stack ?? null }, { status: 500 });
    }
  },
};
