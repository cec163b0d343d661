// Who is signed in, for the whole page: loaded once from `me`, set by sign-in, cleared by
// sign-out or by any answer that says the session is gone.

import { signal } from "@preact/signals";
import { ApiError, gql } from "../api/client";
import { closeLive } from "../api/live";
import { graphql } from "../gql";
import type { ResidentFieldsFragment } from "../gql/graphql";

/** What the portal knows of the signed-in resident (from `me`, or from signing in). */
export type Resident = ResidentFieldsFragment;

/** `undefined` while it is not known yet; `null` when nobody is signed in. */
export const resident = signal<Resident | null | undefined>(undefined);

graphql(`
  fragment ResidentFields on Resident {
    accountId
    nikMasked
    fullName
    phone
    email
    status
    legacyDocuments {
      title
      url
      availableUntil
    }
    notificationSettings {
      whatsapp
      email
    }
  }
`);

const Me = graphql(`
  query Me {
    me {
      ...ResidentFields
    }
  }
`);

const Logout = graphql(`
  mutation Logout {
    logout
  }
`);

/** Asks the server who the cookie belongs to. */
export async function loadResident(): Promise<void> {
  try {
    resident.value = (await gql(Me)).me;
  } catch (error) {
    // Staff sessions and no session alike: not a resident.
    if (error instanceof ApiError && error.code !== "NETWORK_ERROR") resident.value = null;
    else if (resident.value === undefined) resident.value = null;
  }
}

/** Ends the session on the server and here. */
export async function signOut(): Promise<void> {
  try {
    await gql(Logout);
  } finally {
    closeLive();
    resident.value = null;
  }
}

/** Whether an error means the session is gone (then the page asks to sign in again). */
export function sessionEnded(error: unknown): boolean {
  return error instanceof ApiError && error.code === "UNAUTHENTICATED";
}
