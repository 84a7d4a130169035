import { Toggle } from "../components/Toggle";
import { Checkbox } from "../components/Checkbox";
import "./Settings.css";

export default function Settings() {
  return (
    <div className="settings">
      <Toggle text="Dark mode" />
      <Checkbox title="Notifications" />
    </div>
  );
}
