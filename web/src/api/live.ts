// Subscriptions over the same-origin websocket (graphql-transport-ws, as the server speaks),
// opened only while a page listens, and reconnected when the link comes back.

import { signal } from "@preact/signals";
import { type Client, createClient } from "graphql-ws";
import type { TypedDocumentString } from "../gql/graphql";

/** Whether the live socket is up: pages fall back to polling while it is not. */
export const liveConnected = signal(false);

let client: Client | null = null;

function socket(): Client {
  if (client) return client;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  client = createClient({
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
  return client;
}

/** Listens to a subscription until the returned function is called. */
export function subscribe<TResult>(
  document: TypedDocumentString<TResult, Record<string, never>>,
  onData: (data: TResult) => void,
): () => void {
  return socket().subscribe<TResult>(
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
}

/** Closes the socket (signing out: the server would close it anyway). */
export function closeLive(): void {
  client?.dispose();
  client = null;
  liveConnected.value = false;
}
