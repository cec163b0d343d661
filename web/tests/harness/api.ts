import { type APIRequestContext, request as playwrightRequest } from "@playwright/test";
import { CAPTCHA_ANSWER, setCaptchaAnswer } from "./captcha";
import { newNik, pdf, photo } from "./data";
import type { Server } from "./server";

/** One entry of a GraphQL answer's `errors`. */
export interface GraphQLErrorEntry {
  message: string;
  extensions?: { code?: string; [key: string]: unknown };
}

/** A GraphQL answer with errors: the codes and Indonesian messages the server gave. */
export class GraphQLError extends Error {
  constructor(
    readonly errors: GraphQLErrorEntry[],
    readonly query: string,
  ) {
    super(
      `GraphQL errors: ${errors.map((e) => `${e.extensions?.code ?? "?"}: ${e.message}`).join("; ")}\nin: ${query.trim()}`,
    );
  }

  /** `extensions.code` of the first error. */
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

/** What a `/uploads` POST answers. */
export interface Upload {
  uploadId: string;
}

/** A file to upload. */
export interface UploadFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/** A JPEG photo to upload (800 × 600 unless said otherwise). */
export function photoFile(name = "foto.jpg", width = 800, height = 600): UploadFile {
  return { name, mimeType: "image/jpeg", buffer: photo(width, height) };
}

/** A PDF to upload. */
export function pdfFile(name = "dokumen.pdf", lines?: string[]): UploadFile {
  return { name, mimeType: "application/pdf", buffer: pdf(lines) };
}

/** Polls `check` until it gives a value: effects that arrive through the projector. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) {
      return value;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** A client of the real server with its own cookie jar (or a page's, given `page.request`). */
export class ApiClient {
  constructor(
    readonly server: Server,
    readonly request: APIRequestContext,
  ) {}

  /** Sends one operation; throws [`GraphQLError`] when the answer has errors. */
  async gql<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await this.request.post(`${this.server.url}/graphql`, { data: { query, variables } });
    const text = await response.text();
    let body: { data?: T; errors?: GraphQLErrorEntry[] };
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`POST /graphql answered ${response.status()} with non-JSON: ${text.slice(0, 200)}`);
    }
    if (body.errors?.length) {
      throw new GraphQLError(body.errors, query);
    }
    if (body.data === undefined) {
      throw new Error(`POST /graphql answered ${response.status()} without data: ${text.slice(0, 200)}`);
    }
    return body.data;
  }

  /** `POST /uploads` (multipart field `file`) with `headers`; returns the upload id. */
  protected async uploadWith(file: UploadFile, headers: Record<string, string>): Promise<string> {
    const response = await this.request.post(`${this.server.url}/uploads`, { headers, multipart: { file } });
    const text = await response.text();
    if (response.status() !== 201) {
      throw new Error(`upload of ${file.name} answered ${response.status()}: ${text.slice(0, 300)}`);
    }
    return (JSON.parse(text) as Upload).uploadId;
  }

  /** Uploads with this client's session (a page's `fetch` sends `X-Requested-With`). */
  upload(file: UploadFile): Promise<string> {
    return this.uploadWith(file, { "X-Requested-With": "fetch" });
  }

  /** A new captcha, "read": its answer set to a known one. */
  async solvedCaptcha(): Promise<{ captchaId: string; captchaAnswer: string }> {
    const data = await this.gql<{ createCaptcha: { id: string } }>("mutation { createCaptcha { id image expiresAt } }");
    await setCaptchaAnswer(this.server, data.createCaptcha.id, CAPTCHA_ANSWER);
    return { captchaId: data.createCaptcha.id, captchaAnswer: CAPTCHA_ANSWER };
  }

  /** Ends the session (staff or resident). */
  async logout(): Promise<void> {
    await this.gql("mutation { logout }");
  }

  /** Frees the request context (not a page's). */
  async dispose(): Promise<void> {
    await this.request.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Staff
// ---------------------------------------------------------------------------------------------

export type StaffRole = "OPERATOR" | "SUPERVISOR" | "AUDITOR" | "ADMIN";

export interface StaffProfile {
  id: string;
  username: string;
  displayName: string;
  role: StaffRole;
  active: boolean;
}

/** A staff account as a test knows it (with its password). */
export interface StaffAccount {
  username: string;
  displayName: string;
  password: string;
}

export interface VerificationItem {
  accountId: string;
  nikMasked: string;
  fullName: string;
  phone: string;
  email: string | null;
  registeredAt: string;
}

export interface PasswordResetItem {
  accountId: string;
  nikMasked: string;
  registeredName: string;
  givenName: string;
  phone: string;
  requestedAt: string;
}

export interface WorkQueueItem {
  requestId: string;
  number: string;
  serviceCode: string;
  serviceName: string;
  applicantName: string;
  status: string;
  claimedBy: string | null;
  dueAt: string | null;
  overdue: boolean;
}

export interface WorkQueueFilter {
  status?: string;
  serviceCode?: string;
  assignedToMe?: boolean;
  overdue?: boolean;
}

const PROFILE = "id username displayName role active";

let staffCounter = 0;

/**
 * Creates an ADMIN with the binary's `create-admin`, the password on stdin as an operator
 * pipes it (it is never an argument).
 */
export async function createAdmin(server: Server, account: Partial<StaffAccount> = {}): Promise<StaffAccount> {
  staffCounter += 1;
  const admin: StaffAccount = {
    username: account.username ?? `admin${staffCounter}`,
    displayName: account.displayName ?? "Admin Dinas",
    password: account.password ?? "sandi admin kuat 2026",
  };
  const result = await server.run(
    ["create-admin", "--username", admin.username, "--display-name", admin.displayName],
    `${admin.password}\n`,
  );
  if (result.code !== 0) {
    throw new Error(`create-admin failed (${result.code}): ${result.stderr}${result.stdout}`);
  }
  return admin;
}

/** A staff member's API client: the console's operations, for tests written before the console. */
export class Staff extends ApiClient {
  profile?: StaffProfile;

  /** A new client (its own cookies), signed in as `account`. */
  static async signIn(server: Server, account: StaffAccount, request?: APIRequestContext): Promise<Staff> {
    const staff = new Staff(server, request ?? (await playwrightRequest.newContext({ baseURL: server.url })));
    await staff.login(account.username, account.password);
    return staff;
  }

  async login(username: string, password: string): Promise<StaffProfile> {
    const data = await this.gql<{ staffLogin: { staff: StaffProfile } }>(
      `mutation($u: String!, $p: String!) { staffLogin(username: $u, password: $p) { staff { ${PROFILE} } expiresAt } }`,
      { u: username, p: password },
    );
    this.profile = data.staffLogin.staff;
    return this.profile;
  }

  /** Creates a staff account (as an ADMIN); returns it with its password, to sign in with. */
  async createStaff(role: StaffRole = "OPERATOR", account: Partial<StaffAccount> = {}): Promise<StaffAccount> {
    staffCounter += 1;
    const created: StaffAccount = {
      username: account.username ?? `${role.toLowerCase()}${staffCounter}`,
      displayName: account.displayName ?? `Petugas ${staffCounter}`,
      password: account.password ?? `sandi petugas ${staffCounter} 2026`,
    };
    await this.gql(`mutation($i: CreateStaffInput!) { createStaff(input: $i) { ${PROFILE} } }`, {
      i: { ...created, role },
    });
    return created;
  }

  /** Accounts waiting for verification, oldest first (the first 100). */
  async verificationQueue(): Promise<VerificationItem[]> {
    const data = await this.gql<{ accountVerificationQueue: { edges: { node: VerificationItem }[] } }>(
      "{ accountVerificationQueue(first: 100) { edges { node { accountId nikMasked fullName phone email registeredAt } } } }",
    );
    return data.accountVerificationQueue.edges.map((edge) => edge.node);
  }

  /** The waiting account registered as `fullName`, once the projector has queued it. */
  findAccount(fullName: string): Promise<VerificationItem> {
    return eventually(`account of ${fullName} in the verification queue`, async () =>
      (await this.verificationQueue()).find((item) => item.fullName === fullName),
    );
  }

  async approveAccount(accountId: string): Promise<void> {
    await this.gql("mutation($a: ID!) { approveAccount(accountId: $a) { accountId } }", { a: accountId });
  }

  async rejectAccount(accountId: string, reason: string): Promise<void> {
    await this.gql("mutation($a: ID!, $r: String!) { rejectAccount(accountId: $a, reason: $r) { accountId } }", {
      a: accountId,
      r: reason,
    });
  }

  /** Password-reset requests waiting for an operator, oldest first (the first 100). */
  async passwordResetQueue(): Promise<PasswordResetItem[]> {
    const data = await this.gql<{ passwordResetQueue: { edges: { node: PasswordResetItem }[] } }>(
      "{ passwordResetQueue(first: 100) { edges { node { accountId nikMasked registeredName givenName phone requestedAt } } } }",
    );
    return data.passwordResetQueue.edges.map((edge) => edge.node);
  }

  /** The waiting reset request of the account named `registeredName`. */
  findPasswordReset(registeredName: string): Promise<PasswordResetItem> {
    return eventually(`password reset of ${registeredName}`, async () =>
      (await this.passwordResetQueue()).find((item) => item.registeredName === registeredName),
    );
  }

  /** Approves a reset; returns the one-time code the office sends on WhatsApp. */
  async approvePasswordReset(accountId: string): Promise<string> {
    const data = await this.gql<{ approvePasswordReset: { code: string } }>(
      "mutation($a: ID!) { approvePasswordReset(accountId: $a) { code expiresAt whatsappLink } }",
      { a: accountId },
    );
    return data.approvePasswordReset.code;
  }

  /** The work queue (every open request unless filtered), by due time; the first 100. */
  async workQueue(filter?: WorkQueueFilter): Promise<WorkQueueItem[]> {
    const data = await this.gql<{ workQueue: { edges: { node: WorkQueueItem }[] } }>(
      `query($f: WorkQueueFilter) { workQueue(filter: $f, first: 100) { edges { node {
        requestId number serviceCode serviceName applicantName status claimedBy dueAt overdue } } } }`,
      { f: filter ?? null },
    );
    return data.workQueue.edges.map((edge) => edge.node);
  }

  /** The request numbered `number` in the work queue, once projected. */
  findRequest(number: string, filter?: WorkQueueFilter): Promise<WorkQueueItem> {
    return eventually(`request ${number} in the work queue`, async () =>
      (await this.workQueue(filter)).find((item) => item.number === number),
    );
  }

  async claimRequest(requestId: string): Promise<string> {
    const data = await this.gql<{ claimRequest: string }>("mutation($r: ID!) { claimRequest(requestId: $r) }", {
      r: requestId,
    });
    return data.claimRequest;
  }

  /** Asks for documents again, each with a reason; returns the new status. */
  async demandReupload(requestId: string, items: { documentCode: string; reason: string }[]): Promise<string> {
    const data = await this.gql<{ demandReupload: string }>(
      "mutation($r: ID!, $i: [ReuploadItemInput!]!) { demandReupload(requestId: $r, items: $i) }",
      { r: requestId, i: items },
    );
    return data.demandReupload;
  }

  /** Uploads a PDF with this session (a signed document to hand over). */
  uploadPdf(name = "hasil.pdf", lines = ["Kutipan akta (dokumen uji)"]): Promise<string> {
    return this.upload(pdfFile(name, lines));
  }

  /** Completes a download service; without `uploadIds`, with a freshly uploaded PDF. */
  async completeRequest(requestId: string, uploadIds?: string[]): Promise<string> {
    const ids = uploadIds ?? [await this.uploadPdf()];
    const data = await this.gql<{ completeRequest: string }>(
      "mutation($r: ID!, $u: [ID!]!) { completeRequest(requestId: $r, uploadIds: $u) }",
      { r: requestId, u: ids },
    );
    return data.completeRequest;
  }

  /** For KTP-el and KIA: the card can be collected at `place` from `availableFrom`. */
  async markReadyForPickup(requestId: string, place: string, availableFrom: Date | string): Promise<string> {
    const from = typeof availableFrom === "string" ? availableFrom : availableFrom.toISOString();
    const data = await this.gql<{ markReadyForPickup: string }>(
      "mutation($r: ID!, $p: String!, $f: DateTime!) { markReadyForPickup(requestId: $r, place: $p, availableFrom: $f) }",
      { r: requestId, p: place, f: from },
    );
    return data.markReadyForPickup;
  }
}

/** A new admin, signed in on its own client. */
export async function signedInAdmin(server: Server): Promise<Staff> {
  return Staff.signIn(server, await createAdmin(server));
}

/**
 * A new staff member of `role` (created by a new admin), signed in on its own client: an
 * OPERATOR verifies accounts and works the queue, which an ADMIN may not.
 */
export async function signedInStaff(server: Server, role: StaffRole = "OPERATOR"): Promise<Staff> {
  const admin = await signedInAdmin(server);
  const account = await admin.createStaff(role);
  await admin.dispose();
  return Staff.signIn(server, account);
}

// ---------------------------------------------------------------------------------------------
// Residents
// ---------------------------------------------------------------------------------------------

/** What a registration sends (documents and captcha are handled by the helper). */
export interface Registration {
  nik: string;
  fullName: string;
  phone: string;
  password: string;
  email?: string;
}

let residentCounter = 0;

const FIRST_NAMES = ["Siti", "Dayang", "Bujang", "Rina", "Antonius", "Maria", "Yohanes", "Nur"];
const LAST_NAMES = ["Aminah", "Kumang", "Senang", "Marlina", "Lejo", "Ujan", "Apui", "Halimah"];

/** A name no other resident of this test process has (names allow letters only, no digits). */
function uniqueName(n: number): string {
  const name = `${FIRST_NAMES[n % 8]} ${LAST_NAMES[Math.floor(n / 8) % 8]}`;
  let rest = Math.floor(n / 64);
  let suffix = "";
  while (rest > 0) {
    suffix = String.fromCharCode(65 + ((rest - 1) % 26)) + suffix;
    rest = Math.floor((rest - 1) / 26);
  }
  return suffix ? `${name} ${suffix}` : name;
}

/** A new resident's details: a fresh NIK and a unique name. */
export function newRegistration(details: Partial<Registration> = {}): Registration {
  residentCounter += 1;
  return {
    nik: details.nik ?? newNik(),
    fullName: details.fullName ?? uniqueName(residentCounter),
    phone: details.phone ?? "081234567890",
    password: details.password ?? "rumah panjang 2026",
    ...(details.email ? { email: details.email } : {}),
  };
}

export interface SubmissionReceipt {
  requestId: string;
  number: string;
  serviceName: string;
  submittedAt: string;
  message: string;
}

/** A resident's API client: registration, sign-in and requests, for setting up state fast. */
export class Resident extends ApiClient {
  /** A new client with its own cookies (or `request`, e.g. `page.request` to share a page's). */
  static async create(server: Server, request?: APIRequestContext): Promise<Resident> {
    return new Resident(server, request ?? (await playwrightRequest.newContext({ baseURL: server.url })));
  }

  /** An upload token, through a solved captcha. */
  async uploadToken(): Promise<string> {
    const captcha = await this.solvedCaptcha();
    const data = await this.gql<{ createUploadToken: { token: string } }>(
      "mutation($c: ID!, $a: String!) { createUploadToken(captchaId: $c, captchaAnswer: $a) { token } }",
      { c: captcha.captchaId, a: captcha.captchaAnswer },
    );
    return data.createUploadToken.token;
  }

  /** Uploads with an upload token (before there is an account). */
  uploadWithToken(token: string, file: UploadFile): Promise<string> {
    return this.uploadWith(file, { "X-Upload-Token": token });
  }

  /** KTP, KK and selfie photos uploaded with a new token: what registration and reset need. */
  async identityDocuments(): Promise<{ uploadToken: string; documents: Record<string, string> }> {
    const uploadToken = await this.uploadToken();
    const [identity, familyCard, selfie] = [
      await this.uploadWithToken(uploadToken, photoFile("ktp.jpg")),
      await this.uploadWithToken(uploadToken, photoFile("kk.jpg")),
      await this.uploadWithToken(uploadToken, photoFile("selfie.jpg", 600, 800)),
    ];
    return {
      uploadToken,
      documents: {
        identityDocumentKind: "KTP_EL",
        identityUploadId: identity,
        familyCardUploadId: familyCard,
        selfieUploadId: selfie,
      },
    };
  }

  /**
   * Registers through the API as the portal does, with one captcha: the live upload token the
   * photos came with stands in for a second one. The account then waits for verification.
   */
  async register(details: Partial<Registration> = {}): Promise<Registration> {
    const registration = newRegistration(details);
    const { uploadToken, documents } = await this.identityDocuments();
    await this.gql("mutation($i: RegisterAccountInput!) { registerAccount(input: $i) { nikMasked message } }", {
      i: { ...registration, documents, uploadToken },
    });
    return registration;
  }

  /** Signs in (solving a captcha); returns the resident's status. */
  async login(nik: string, password: string): Promise<{ accountId: string; status: string; fullName: string }> {
    const captcha = await this.solvedCaptcha();
    const data = await this.gql<{ login: { resident: { accountId: string; status: string; fullName: string } } }>(
      `mutation($n: String!, $p: String!, $c: ID!, $a: String!) {
        login(nik: $n, password: $p, captchaId: $c, captchaAnswer: $a) { resident { accountId status fullName } } }`,
      { n: nik, p: password, c: captcha.captchaId, a: captcha.captchaAnswer },
    );
    return data.login.resident;
  }

  /** Asks the office to reset a forgotten password (new identity photos; their token's captcha). */
  async requestPasswordReset(nik: string, fullName: string): Promise<void> {
    const { uploadToken, documents } = await this.identityDocuments();
    await this.gql("mutation($i: RequestPasswordResetInput!) { requestPasswordReset(input: $i) }", {
      i: { nik, fullName, documents, uploadToken },
    });
  }

  async completePasswordReset(nik: string, code: string, newPassword: string): Promise<void> {
    await this.gql(
      "mutation($n: String!, $c: String!, $p: String!) { completePasswordReset(nik: $n, code: $c, newPassword: $p) }",
      {
        n: nik,
        c: code,
        p: newPassword,
      },
    );
  }

  /** Submits a request; `documents` maps document codes to upload ids. */
  async submitRequest(
    serviceCode: string,
    fields: Record<string, string>,
    documents: Record<string, string>,
    idempotencyKey: string = crypto.randomUUID(),
  ): Promise<SubmissionReceipt> {
    const data = await this.gql<{ submitServiceRequest: SubmissionReceipt }>(
      "mutation($i: SubmitServiceRequestInput!) { submitServiceRequest(input: $i) { requestId number serviceName submittedAt message } }",
      {
        i: {
          serviceCode,
          fields: Object.entries(fields).map(([name, value]) => ({ name, value })),
          documents: Object.entries(documents).map(([code, uploadId]) => ({ code, uploadId })),
          idempotencyKey,
        },
      },
    );
    return data.submitServiceRequest;
  }

  /** An Akta Kelahiran request with its three documents uploaded now. */
  async submitBirthCertificate(childName = "Dayang Sumbi"): Promise<SubmissionReceipt> {
    const documents = {
      SURAT_KETERANGAN_LAHIR: await this.upload(pdfFile("surat-lahir.pdf", ["Surat keterangan lahir (uji)"])),
      KARTU_KELUARGA: await this.upload(photoFile("kk.jpg")),
      KTP_ORANG_TUA: await this.upload(photoFile("ktp.jpg")),
    };
    const fields = {
      nama_anak: childName,
      jenis_kelamin: "Perempuan",
      tempat_lahir: "Putussibau",
      tanggal_lahir: "2026-11-01",
      anak_ke: "1",
      nik_ibu: "6106015205900001",
    };
    return this.submitRequest("AKTA_KELAHIRAN", fields, documents);
  }
}

/** A client of its own for `server` (e.g. a second browser's API). */
export function residentApi(server: Server, request?: APIRequestContext): Promise<Resident> {
  return Resident.create(server, request);
}

/**
 * A resident registered through the API, approved by `staff` and signed in on `request` (a new
 * context unless given; pass `page.request` to sign the page's browser in).
 */
export async function activeResident(
  server: Server,
  staff: Staff,
  details: Partial<Registration> = {},
  request?: APIRequestContext,
): Promise<{ resident: Resident; registration: Registration; accountId: string }> {
  const registering = await Resident.create(server);
  const registration = await registering.register(details);
  await registering.dispose();
  const { accountId } = await staff.findAccount(registration.fullName);
  await staff.approveAccount(accountId);
  const resident = await Resident.create(server, request);
  await resident.login(registration.nik, registration.password);
  return { resident, registration, accountId };
}
