import { lazy, Suspense, useState } from "react";
import { Header } from "./components/Header";
import { Modal } from "./components/Modal";
import { Tab } from "./components/Tab";
import { Checkbox } from "./components/Checkbox";
import { Chart } from "./components/Chart";
import logo from "./logo.png";
import "./App.css";

const Settings = lazy(() => import("./pages/Settings"));

export function App() {
  const [settings, setSettings] = useState(false);
  return (
    <div className="app">
      <img src={logo} alt="logo" width={64} height={64} />
      <Header title="Header" label="Header" caption="Header" text="Header" />
      <Modal title="Modal" label="Modal" caption="Modal" text="Modal" />
      <Tab title="Tab" label="Tab" caption="Tab" text="Tab" />
      <Checkbox title="Checkbox" label="Checkbox" caption="Checkbox" text="Checkbox" />
      <Chart title="Chart" label="Chart" caption="Chart" text="Chart" />
      <button type="button" onClick={() => setSettings(true)}>Settings</button>
      {settings && (
        <Suspense fallback={<p>Loading</p>}>
          <Settings />
        </Suspense>
      )}
    </div>
  );
}
