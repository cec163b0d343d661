// The staff console's pages (/petugas/…), in their own chunk: residents never download them.

import { useEffect } from "preact/hooks";
import { lazy, Route, Router } from "preact-iso";
import { NotFound } from "../pages/not-found";
import { ConsoleLayout } from "./layout";
import { ConsoleHome } from "./pages/home";
import { ConsoleLogin } from "./pages/login";
import { loadStaff, staff } from "./session";
import "./console.css";

const Verification = lazy(() => import("./pages/verification").then((m) => m.Verification));
const WorkQueue = lazy(() => import("./pages/queue").then((m) => m.WorkQueue));
const RequestDetail = lazy(() => import("./pages/request").then((m) => m.RequestDetail));
const Dashboard = lazy(() => import("./pages/dashboard").then((m) => m.DashboardPage));
// console pages: resets, legacy, calendar, staff, history, access log
const PasswordResets = lazy(() => import("./pages/resets").then((m) => m.PasswordResets));
const LegacyAccess = lazy(() => import("./pages/legacy").then((m) => m.LegacyAccess));
const OfficeCalendar = lazy(() => import("./pages/calendar").then((m) => m.OfficeCalendar));
const StaffAdmin = lazy(() => import("./pages/staff").then((m) => m.StaffAdmin));
const History = lazy(() => import("./pages/history").then((m) => m.History));
const AccessLog = lazy(() => import("./pages/access-log").then((m) => m.AccessLog));
const NotificationFailures = lazy(() => import("./pages/notifications").then((m) => m.NotificationFailures));

export function ConsoleApp() {
  useEffect(() => {
    if (staff.value === undefined) void loadStaff();
  }, []);
  return (
    <ConsoleLayout>
      <Router>
        <Route path="/petugas" component={ConsoleHome} />
        <Route path="/petugas/masuk" component={ConsoleLogin} />
        <Route path="/petugas/verifikasi" component={Verification} />
        <Route path="/petugas/antrean" component={WorkQueue} />
        <Route path="/petugas/antrean/:id" component={RequestDetail} />
        <Route path="/petugas/dasbor" component={Dashboard} />
        {/* console pages: resets, legacy, calendar, staff, history, access log */}
        <Route path="/petugas/lupa-kata-sandi" component={PasswordResets} />
        <Route path="/petugas/layanan-lama" component={LegacyAccess} />
        <Route path="/petugas/kalender" component={OfficeCalendar} />
        <Route path="/petugas/staf" component={StaffAdmin} />
        <Route path="/petugas/riwayat" component={History} />
        <Route path="/petugas/akses-dokumen" component={AccessLog} />
        <Route path="/petugas/pemberitahuan" component={NotificationFailures} />
        <Route default component={NotFound} />
      </Router>
    </ConsoleLayout>
  );
}
