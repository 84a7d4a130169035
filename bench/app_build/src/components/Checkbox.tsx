import { useMemo, useState } from "react";
import { Toggle } from "./Toggle";
import { ProgressBar } from "./ProgressBar";
import "./Checkbox.css";

export interface CheckboxProps {
  label: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 7 }, (_, index) => ({ id: index, value: index * 19 }));

export function Checkbox(props: CheckboxProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="checkbox" data-total={total}>
      <h2>{props.label}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        Checkbox: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <Toggle title={`${props.label} Toggle`} count={count} />
      <ProgressBar label={`${props.label} ProgressBar`} count={count} />
    </section>
  );
}
