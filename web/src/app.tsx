// The portal's pages and their addresses, and the staff console under /petugas (loaded only
// when an officer opens it). Pages other than the first one a resident opens load on demand,
// so a cheap phone on a weak link downloads only what it shows.

import { ErrorBoundary, LocationProvider, lazy, Route, Router, useLocation } from "preact-iso";
import { Layout } from "./components/layout";
import { Home } from "./pages/home";
import { NotFound } from "./pages/not-found";

const Register = lazy(() => import("./pages/register").then((m) => m.Register));
const Login = lazy(() => import("./pages/login").then((m) => m.Login));
const Board = lazy(() => import("./pages/board").then((m) => m.Board));
const Services = lazy(() => import("./pages/services").then((m) => m.Services));
const ServiceForm = lazy(() => import("./pages/service-form").then((m) => m.ServiceForm));
const Reupload = lazy(() => import("./pages/reupload").then((m) => m.Reupload));
const Contact = lazy(() => import("./pages/contact").then((m) => m.Contact));
const ForgotPassword = lazy(() => import("./pages/forgot-password").then((m) => m.ForgotPassword));
const ResetPassword = lazy(() => import("./pages/reset-password").then((m) => m.ResetPassword));
const VerifyReceipt = lazy(() => import("./pages/verify-receipt").then((m) => m.VerifyReceipt));
const NotificationSettings = lazy(() => import("./pages/notification-settings").then((m) => m.NotificationSettings));
const Console = lazy(() => import("./console/app").then((m) => m.ConsoleApp));

function Portal() {
  return (
    <Layout>
      <Router>
        <Route path="/" component={Home} />
        <Route path="/daftar" component={Register} />
        <Route path="/masuk" component={Login} />
        <Route path="/beranda" component={Board} />
        <Route path="/layanan" component={Services} />
        <Route path="/layanan/:code" component={ServiceForm} />
        <Route path="/pengajuan/:id/upload-ulang" component={Reupload} />
        <Route path="/kontak" component={Contact} />
        <Route path="/verifikasi" component={VerifyReceipt} />
        <Route path="/verifikasi/:code" component={VerifyReceipt} />
        <Route path="/lupa-kata-sandi" component={ForgotPassword} />
        <Route path="/lupa-kata-sandi/kode" component={ResetPassword} />
        <Route path="/akun/pemberitahuan" component={NotificationSettings} />
        <Route default component={NotFound} />
      </Router>
    </Layout>
  );
}

function Site() {
  const { path } = useLocation();
  return path === "/petugas" || path.startsWith("/petugas/") ? <Console /> : <Portal />;
}

export function App() {
  return (
    <LocationProvider>
      <ErrorBoundary>
        <Site />
      </ErrorBoundary>
    </LocationProvider>
  );
}
