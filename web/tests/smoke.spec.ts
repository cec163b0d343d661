// Proves the harness: the real binary on a fresh database serves the portal (or says it was not
// built) with its security headers, and the API helpers walk a resident from registration to a
// completed request.
import {
  activeResident,
  checkA11y,
  createAdmin,
  expect,
  photoFile,
  Resident,
  Staff,
  setAllCaptchaAnswers,
  signedInStaff,
  test,
  transferredBytes,
} from "./harness";

test("the binary serves the portal under its content security policy", async ({ page, server }) => {
  const response = await page.goto("/");
  expect(response).not.toBeNull();
  const status = response?.status();
  if (status === 503) {
    await expect(page.getByText("Portal belum dibangun: jalankan scripts/serve")).toBeVisible();
  } else {
    expect(status).toBe(200);
    await expect(page).toHaveTitle(/\S/);
  }
  expect(response?.headers()["content-security-policy"]).toContain("connect-src 'self'");
  await checkA11y(page);
  expect(await transferredBytes(page, "/")).toBeGreaterThan(0);

  // `connect-src 'self'` must let the page open its own websocket (CSP3 counts ws: of the same
  // host as 'self'), and must stop a connection anywhere else.
  const { resident } = await activeResident(server, await signedInStaff(server), {}, page.request);
  const outcome = await page.evaluate(async (other) => {
    const violations: string[] = [];
    document.addEventListener("securitypolicyviolation", (event) => violations.push(event.blockedURI));
    const socket = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`${location.origin.replace(/^http/, "ws")}/graphql/ws`, "graphql-transport-ws");
      ws.onopen = () => {
        ws.close();
        resolve("open");
      };
      ws.onerror = () => resolve("error");
    });
    const foreign = await fetch(other).then(
      () => "fetched",
      () => "blocked",
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { socket, foreign, violations };
  }, `http://127.0.0.2:${server.port}/healthz`);
  expect(outcome.socket).toBe("open");
  expect(outcome.foreign).toBe("blocked");
  expect(outcome.violations).toEqual([`http://127.0.0.2:${server.port}/healthz`]);
  await resident.logout();
});

test("the API helpers take a resident from registration to a finished request", async ({ server }) => {
  const admin = await Staff.signIn(server, await createAdmin(server));
  expect(admin.profile?.role).toBe("ADMIN");
  const operator = await Staff.signIn(server, await admin.createStaff("OPERATOR"));
  expect(operator.profile?.role).toBe("OPERATOR");

  // Registration through the API, verification by the operator, then sign-in.
  const registering = await Resident.create(server);
  const registration = await registering.register({ fullName: "Dayang Kumang" });
  const waiting = await operator.findAccount("Dayang Kumang");
  expect(waiting.nikMasked).toBe(`${registration.nik.slice(0, 4)}********${registration.nik.slice(12)}`);
  await operator.approveAccount(waiting.accountId);
  const resident = await Resident.create(server);
  const signedIn = await resident.login(registration.nik, registration.password);
  expect(signedIn).toMatchObject({ accountId: waiting.accountId, status: "ACTIVE", fullName: "Dayang Kumang" });

  // Captchas a page would show can be answered too.
  await resident.gql("mutation { createCaptcha { id } }");
  expect(await setAllCaptchaAnswers(server)).toBeGreaterThan(0);

  // A request, claimed, asked for a document again, and completed with a signed PDF.
  const receipt = await resident.submitBirthCertificate();
  const item = await operator.findRequest(receipt.number);
  expect(item.applicantName).toBe("Dayang Kumang");
  await operator.claimRequest(item.requestId);
  const reupload = await operator.demandReupload(item.requestId, [
    { documentCode: "KARTU_KELUARGA", reason: "Foto KK buram, mohon unggah ulang." },
  ]);
  expect(reupload).toBe("AWAITING_REUPLOAD");
  await resident.gql(
    "mutation($r: ID!, $d: [DocumentUploadInput!]!) { reuploadDocuments(requestId: $r, documents: $d) }",
    {
      r: receipt.requestId,
      d: [{ code: "KARTU_KELUARGA", uploadId: await resident.upload(photoFile("kk-baru.jpg")) }],
    },
  );
  // Back with the operator who asked for it, no claim needed.
  await operator.findRequest(receipt.number, { status: "IN_REVIEW" });
  expect(await operator.completeRequest(item.requestId)).toBe("COMPLETED");

  // A forgotten password, approved by the operator, with the code from the office.
  const forgetful = await Resident.create(server);
  await forgetful.requestPasswordReset(registration.nik, "Dayang Kumang");
  const reset = await operator.findPasswordReset("Dayang Kumang");
  const code = await operator.approvePasswordReset(reset.accountId);
  await forgetful.completePasswordReset(registration.nik, code, "sandi baru rumah 2026");
  expect((await forgetful.login(registration.nik, "sandi baru rumah 2026")).status).toBe("ACTIVE");
});
