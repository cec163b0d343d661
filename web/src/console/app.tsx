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
        <Route default component={NotFound} />
      </Router>
    </ConsoleLayout>
  );
}
