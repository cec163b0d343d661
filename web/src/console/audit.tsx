// What the history and the document access log share: who an actor is, in words, the date
// range of their filters, and the WIB day bounds those dates send.

import { Field, TextInput } from "../components/fields";
import type { StaffRole } from "./gql/graphql";
import { ROLE_LABELS } from "./session";

const ACTOR_ROLES: Record<string, string> = {
  ...ROLE_LABELS,
  RESIDENT: "Penduduk",
  SYSTEM: "Sistem",
};

/** "Operator", "Penduduk", … for a stored role spelling; the spelling itself if unknown. */
export function roleLabel(role: string | null | undefined): string {
  if (!role) return "—";
  return ACTOR_ROLES[role.toUpperCase() as StaffRole] ?? role;
}

/** The start of a WIB day (YYYY-MM-DD) as an instant. */
export function dayStart(date: string): string {
  return new Date(`${date}T00:00:00+07:00`).toISOString();
}

/** The last moment of a WIB day (YYYY-MM-DD) as an instant: "to" includes the whole day. */
export function dayEnd(date: string): string {
  return new Date(`${date}T23:59:59.999+07:00`).toISOString();
}

/** Who acted: the staff member's name as the server records it, the role they acted in, the id. */
export function Actor({
  id,
  role,
  name,
  username,
}: {
  id: string | null | undefined;
  role: string | null | undefined;
  name?: string | null | undefined;
  username?: string | null | undefined;
}) {
  if (!id && !role) return <span class="muted">—</span>;
  return (
    <>
      {name ? (
        <strong class="block">
          {name}
          {username ? ` (${username})` : ""}
        </strong>
      ) : null}
      <span class="block">{roleLabel(role)}</span>
      {id ? <code class="small block">{id}</code> : null}
    </>
  );
}

/** A drop-down whose empty choice means "all". */
export function FilterSelect({
  name,
  label,
  all,
  options,
  value,
  onValue,
  error,
}: {
  name: string;
  label: string;
  all: string;
  options: Record<string, string>;
  value: string;
  onValue: (value: string) => void;
  error?: string | undefined;
}) {
  return (
    <Field name={name} label={label} error={error}>
      {(aria) => (
        <select {...aria} name={name} value={value} onChange={(event) => onValue(event.currentTarget.value)}>
          <option value="">{all}</option>
          {Object.entries(options).map(([key, text]) => (
            <option key={key} value={key}>
              {text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** The "from" and "to" dates of an audit filter (both optional). */
export function DateRangeFields({
  from,
  to,
  labels,
  errors,
  set,
}: {
  from: string;
  to: string;
  labels: { from: string; to: string };
  errors: { from?: string | undefined; to?: string | undefined };
  set: (name: "from" | "to") => (value: string) => void;
}) {
  return (
    <>
      <TextInput
        name="from"
        label={labels.from}
        type="date"
        optional
        value={from}
        onValue={set("from")}
        error={errors.from}
      />
      <TextInput name="to" label={labels.to} type="date" optional value={to} onValue={set("to")} error={errors.to} />
    </>
  );
}
