// The signed-in staff member, for the console: loaded from `currentStaff` (fresh from the event
// store, so a changed role shows at once), cleared on sign-out or when a call says the session
// is gone.

import { signal } from "@preact/signals";
import { ApiError, gql } from "../api/client";
import { closeLive } from "../api/live";
import { graphql } from "./gql";
import type { CurrentStaffQuery, StaffRole } from "./gql/graphql";

export type StaffMember = CurrentStaffQuery["currentStaff"];

/** `undefined` while unknown; `null` when no staff member is signed in. */
export const staff = signal<StaffMember | null | undefined>(undefined);

const CurrentStaff = graphql(`
  query CurrentStaff {
    currentStaff {
      id
      username
      displayName
      role
      active
    }
  }
`);

const StaffLogout = graphql(`
  mutation StaffLogout {
    logout
  }
`);

export async function loadStaff(): Promise<void> {
  try {
    staff.value = (await gql(CurrentStaff)).currentStaff;
  } catch (error) {
    if (error instanceof ApiError && error.code !== "NETWORK_ERROR") staff.value = null;
    else if (staff.value === undefined) staff.value = null;
  }
}

export async function staffSignOut(): Promise<void> {
  try {
    await gql(StaffLogout);
  } finally {
    closeLive();
    staff.value = null;
  }
}

/** What each role may open: the console shows only these (the API refuses the rest anyway). */
export const AREAS = {
  verification: ["OPERATOR", "SUPERVISOR"],
  queue: ["OPERATOR", "SUPERVISOR"],
  calendar: ["SUPERVISOR"],
  dashboard: ["SUPERVISOR", "AUDITOR", "ADMIN"],
  history: ["AUDITOR", "ADMIN"],
  staffAdmin: ["ADMIN"],
  notifications: ["SUPERVISOR"],
} satisfies Record<string, StaffRole[]>;

export type Area = keyof typeof AREAS;

export function may(area: Area, role: StaffRole | undefined): boolean {
  return role !== undefined && (AREAS[area] as StaffRole[]).includes(role);
}

/** The role's name as the office says it. */
export const ROLE_LABELS: Record<StaffRole, string> = {
  OPERATOR: "Operator",
  SUPERVISOR: "Supervisor",
  AUDITOR: "Auditor",
  ADMIN: "Admin",
};
