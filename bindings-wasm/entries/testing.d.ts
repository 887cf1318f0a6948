// Types of `connectpsp/testing` (Node).
export { webhookSignature, webhookEvent } from "./types/testing.js";
export type { SignedWebhook } from "./types/testing.js";

export interface SandboxCredentials {
  clientId: string;
  clientSecret: string;
  applicationToken: string;
  cryptoToken: string;
}

export interface RunningSandbox {
  /** `http://127.0.0.1:<port>` */
  url: string;
  credentials: SandboxCredentials;
  /** ConnectPSP options for this sandbox (credentials and baseUrl), with your overrides. */
  options<T extends object>(overrides?: T): SandboxCredentials & { baseUrl: string } & T;
  /** Stops the sandbox; resolves when it has exited. */
  stop(): Promise<void>;
}

/** Starts the sandbox binary built from the SDK's repository on a free loopback port with fresh
 * random credentials. `bin` defaults to $CONNECTPSP_SANDBOX_BIN; `args` are extra sandbox flags
 * (e.g. `["--manual-settle"]`). */
export declare function startSandbox(options?: { bin?: string; args?: string[]; startTimeoutMs?: number }): Promise<RunningSandbox>;
