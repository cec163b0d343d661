// "Staf" (admins): every staff account with its role and last sign-in; a new account with an
// initial password; a changed role or a deactivation, which end that person's sessions at once.

import { useEffect, useState } from "preact/hooks";
import { ApiError, gql, messageOf } from "../../api/client";
import { ErrorSummary, type FieldErrors, fieldErrorsOf, RadioGroup, TextInput } from "../../components/fields";
import { usePageTitle } from "../../components/layout";
import { formatDateTime } from "../../lib/format";
import { graphql } from "../gql";
import type { StaffListQuery, StaffRole } from "../gql/graphql";
import { RequireStaff } from "../layout";
import { ROLE_LABELS, staff } from "../session";
import "../admin.css";
import { Alert } from "../../components/alert";

const StaffList = graphql(`
  query StaffList {
    staffMembers(first: 200) {
      totalCount
      nodes {
        id
        username
        displayName
        role
        active
        createdAt
        lastSignedIn
      }
    }
  }
`);

const CreateStaff = graphql(`
  mutation CreateStaff($input: CreateStaffInput!) {
    createStaff(input: $input) {
      id
      username
      displayName
      role
      active
    }
  }
`);

const ChangeStaffRole = graphql(`
  mutation ChangeStaffRole($staffId: ID!, $role: StaffRole!) {
    changeStaffRole(staffId: $staffId, role: $role) {
      id
      role
      active
    }
  }
`);

const DeactivateStaff = graphql(`
  mutation DeactivateStaff($staffId: ID!) {
    deactivateStaff(staffId: $staffId) {
      id
      role
      active
    }
  }
`);

type Member = StaffListQuery["staffMembers"]["nodes"][number];

/** What each role does, for whoever picks one. */
const ROLE_DUTIES: Record<StaffRole, string> = {
  OPERATOR: "memverifikasi akun dan mengerjakan antrean; dapat membuka dokumen penduduk",
  SUPERVISOR: "seperti operator, ditambah membagi pekerjaan dan mengatur kalender kantor",
  AUDITOR: "membaca riwayat dan log akses dokumen; tidak mengubah apa pun",
  ADMIN:
    "mengelola akun dan peran petugas, membaca dasbor dan riwayat; tidak memverifikasi akun, mengerjakan antrean atau membuka dokumen penduduk",
};

const ROLES = Object.keys(ROLE_LABELS) as StaffRole[];

export function StaffAdmin() {
  usePageTitle("Staf");
  return (
    <RequireStaff area="staffAdmin">
      <StaffPage />
    </RequireStaff>
  );
}

function StaffPage() {
  const [members, setMembers] = useState<Member[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = async () => {
    try {
      setMembers((await gql(StaffList)).staffMembers.nodes);
    } catch (failure) {
      setError(messageOf(failure));
    }
  };
  useEffect(() => {
    void load();
  }, []);
  // Replies of the mutations update the list at once: the directory the query reads may lag.
  const update = (changed: Partial<Member> & { id: string }) =>
    setMembers((before) => (before ?? []).map((m) => (m.id === changed.id ? { ...m, ...changed } : m)));

  return (
    <>
      <h1>Staf</h1>
      <p>
        Akun petugas kantor. Perubahan peran dan penonaktifan langsung mengakhiri sesi orang itu. Setiap akun yang dapat
        membuka dokumen penduduk (Operator, Supervisor) tercatat di riwayat dan dilaporkan.
      </p>
      {notice ? (
        <p class="notice success" role="status">
          {notice}
        </p>
      ) : null}
      <Alert message={error} />
      <table class="data-table">
        <caption>Akun petugas{members ? ` (${members.length})` : ""}</caption>
        <thead>
          <tr>
            <th scope="col">Nama pengguna</th>
            <th scope="col">Nama</th>
            <th scope="col">Peran</th>
            <th scope="col">Status</th>
            <th scope="col">Terakhir masuk</th>
            <th scope="col">Tindakan</th>
          </tr>
        </thead>
        <tbody>
          {(members ?? []).map((member) => (
            <MemberRow
              key={member.id}
              member={member}
              onChanged={(changed, done) => {
                update(changed);
                setNotice(done);
                setError(null);
              }}
            />
          ))}
        </tbody>
      </table>
      {members === null && !error ? <p class="loading">Memuat…</p> : null}
      <NewStaff
        onCreated={(member) => {
          setMembers((before) => [...(before ?? []), member].sort((a, b) => (a.username < b.username ? -1 : 1)));
          setNotice(
            `Akun ${member.username} dibuat dengan peran ${member.role ? ROLE_LABELS[member.role] : "—"}. Sampaikan kata sandi awal secara langsung dan minta ia menggantinya setelah masuk.`,
          );
        }}
      />
    </>
  );
}

function MemberRow({
  member,
  onChanged,
}: {
  member: Member;
  onChanged: (changed: Partial<Member> & { id: string }, notice: string) => void;
}) {
  const me = staff.value?.id === member.id;
  const [role, setRole] = useState<string>(member.role ?? "");
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (work: () => Promise<void>) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  const changeRole = () =>
    run(async () => {
      const changed = (await gql(ChangeStaffRole, { staffId: member.id, role: role as StaffRole })).changeStaffRole;
      onChanged(changed, `Peran ${member.username} sekarang ${ROLE_LABELS[changed.role]}.`);
    });
  const deactivate = () =>
    run(async () => {
      const changed = (await gql(DeactivateStaff, { staffId: member.id })).deactivateStaff;
      setConfirming(false);
      onChanged(changed, `Akun ${member.username} dinonaktifkan.`);
    });
  const roleId = `role-${member.id}`;
  return (
    <tr data-staff={member.username} class={member.active ? "" : "inactive"}>
      <td>
        <code>{member.username}</code>
        {me ? <span class="small block">(Anda)</span> : null}
      </td>
      <td>{member.displayName}</td>
      <td>{member.role ? ROLE_LABELS[member.role] : "—"}</td>
      <td>{member.active ? "Aktif" : "Nonaktif"}</td>
      <td>{member.lastSignedIn ? formatDateTime(member.lastSignedIn) : "Belum pernah"}</td>
      <td>
        {me || !member.active ? null : (
          <div class="row-actions">
            <label class="visually-hidden" for={roleId}>
              Peran baru untuk {member.username}
            </label>
            <select id={roleId} value={role} onChange={(event) => setRole(event.currentTarget.value)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABELS[r]}
                </option>
              ))}
            </select>
            <button
              type="button"
              class="button secondary small"
              disabled={busy || role === member.role}
              aria-label={`Ubah peran ${member.username}`}
              onClick={() => void changeRole()}
            >
              Ubah peran
            </button>
            {confirming ? (
              <span class="confirm">
                <span>Nonaktifkan {member.username}? Sesinya langsung berakhir.</span>
                <button type="button" class="button small danger" disabled={busy} onClick={() => void deactivate()}>
                  Ya, nonaktifkan
                </button>
                <button type="button" class="button secondary small" onClick={() => setConfirming(false)}>
                  Batal
                </button>
              </span>
            ) : (
              <button
                type="button"
                class="button secondary small"
                aria-label={`Nonaktifkan ${member.username}`}
                onClick={() => setConfirming(true)}
              >
                Nonaktifkan
              </button>
            )}
          </div>
        )}
        <Alert message={error} />
      </td>
    </tr>
  );
}

/** Which field a refusal of `createStaff` is about (the server names none for these). */
const FIELD_OF_CODE: Record<string, string> = {
  INVALID_USERNAME: "username",
  USERNAME_TAKEN: "username",
  INVALID_DISPLAY_NAME: "displayName",
  PASSWORD_TOO_SHORT: "password",
  PASSWORD_TOO_LONG: "password",
  PASSWORD_TOO_COMMON: "password",
};

const LABELS = {
  username: "Nama pengguna",
  displayName: "Nama tampilan",
  role: "Peran",
  password: "Kata sandi awal",
};

function NewStaff({ onCreated }: { onCreated: (member: Member) => void }) {
  const [form, setForm] = useState({ username: "", displayName: "", role: "OPERATOR", password: "" });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const set = (name: keyof typeof form) => (value: string) => setForm((before) => ({ ...before, [name]: value }));
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const missing: FieldErrors = {};
    if (!form.username.trim()) missing.username = "Isi nama pengguna.";
    if (!form.displayName.trim()) missing.displayName = "Isi nama tampilan.";
    if (!form.password) missing.password = "Isi kata sandi awal.";
    setErrors(missing);
    setMessage(Object.keys(missing).length ? "Lengkapi isian yang ditandai." : undefined);
    if (Object.keys(missing).length) return;
    setBusy(true);
    try {
      const input = {
        username: form.username.trim(),
        displayName: form.displayName.trim(),
        role: form.role as StaffRole,
        password: form.password,
      };
      const created = (await gql(CreateStaff, { input })).createStaff;
      onCreated({ ...created, createdAt: new Date().toISOString(), lastSignedIn: null });
      setForm({ username: "", displayName: "", role: form.role, password: "" });
    } catch (failure) {
      if (failure instanceof ApiError && failure.fields.length) {
        setErrors(fieldErrorsOf(failure.fields));
        setMessage(failure.message);
      } else if (failure instanceof ApiError && FIELD_OF_CODE[failure.code]) {
        setErrors({ [FIELD_OF_CODE[failure.code] as string]: failure.message });
        setMessage(undefined);
      } else {
        setMessage(messageOf(failure));
      }
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card form-card" aria-labelledby="new-staff-title">
      <h2 id="new-staff-title">Tambah akun petugas</h2>
      <ErrorSummary
        message={message}
        errors={errors}
        order={["username", "displayName", "role", "password"]}
        labels={LABELS}
      />
      <form onSubmit={submit} noValidate>
        <TextInput
          name="username"
          label={LABELS.username}
          hint="3–32 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung; diawali huruf."
          autocomplete="off"
          autocapitalize="none"
          maxLength={32}
          value={form.username}
          onValue={set("username")}
          error={errors.username}
        />
        <TextInput
          name="displayName"
          label={LABELS.displayName}
          hint="Nama yang dilihat petugas lain, misalnya “Budi Santoso”."
          maxLength={100}
          value={form.displayName}
          onValue={set("displayName")}
          error={errors.displayName}
        />
        <RadioGroup
          name="role"
          label={LABELS.role}
          options={ROLES.map((r) => ({ value: r, label: `${ROLE_LABELS[r]}: ${ROLE_DUTIES[r]}` }))}
          value={form.role}
          onValue={set("role")}
          error={errors.role}
        />
        <TextInput
          name="password"
          label={LABELS.password}
          hint="Minimal 8 karakter dan bukan kata sandi umum. Petugas menggantinya setelah masuk pertama kali."
          type="password"
          autocomplete="new-password"
          maxLength={128}
          value={form.password}
          onValue={set("password")}
          error={errors.password}
        />
        <button type="submit" class="button" disabled={busy}>
          {busy ? "Menyimpan…" : "Buat akun"}
        </button>
      </form>
    </section>
  );
}
