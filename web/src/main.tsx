import { render } from "preact";
import { App } from "./app";
import { loadResident } from "./lib/session";
import "./styles.css";

void loadResident();
const root = document.getElementById("app");
if (root) render(<App />, root);
