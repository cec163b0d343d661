// Subscriptions over the same-origin websocket (graphql-transport-ws, as the server speaks),
// opened only while a page listens, and reconnected when the link comes back.

import { signal } from "@preact/signals";
import type { Client } from "graphql-ws";
import type { Document } from "./client";

/** Whether the live socket is up: pages fall back to polling while it is not. */
export const liveConnected = signal(false);

let client: Promise<Client> | null = null;

/** The client, loaded on first use: pages that never listen never download it. */
function socket(): Promise<Client> {
  if (client) return client;
  client = import("graphql-ws").then(({ createClient }) => connect(createClient));
  return client;
}

function connect(createClient: typeof import("graphql-ws").createClient): Client {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return createClient({
    url: `${scheme}//${location.host}/graphql/ws`,
    lazy: true,
    // Wait for a while after the last subscription ends before closing (a page change).
    lazyCloseTimeout: 3000,
    retryAttempts: Number.POSITIVE_INFINITY,
    // 4401/4403: the session has ended (signed out, or the account changed): retrying is futile.
    shouldRetry: (event) => {
      const code = (event as { code?: number } | null)?.code;
      return code !== 4401 && code !== 4403;
    },
    on: {
      connected: () => {
        liveConnected.value = true;
      },
      closed: () => {
        liveConnected.value = false;
      },
    },
  });
}

/** Listens to a subscription until the returned function is called. */
export function subscribe<TResult>(
  document: Document<TResult, Record<string, never>>,
  onData: (data: TResult) => void,
): () => void {
  let stop: (() => void) | null = null;
  let stopped = false;
  void socket().then((live) => {
    if (stopped) return;
    stop = live.subscribe<TResult>(
      { query: document.toString() },
      {
        next: (message) => {
          if (message.data) onData(message.data as TResult);
        },
        error: () => {
          liveConnected.value = false;
        },
        complete: () => {},
      },
    );
  });
  return () => {
    stopped = true;
    stop?.();
  };
}

/** Closes the socket (signing out: the server would close it anyway). */
export function closeLive(): void {
  void client?.then((live) => live.dispose());
  client = null;
  liveConnected.value = false;
}
