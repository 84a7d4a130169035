import { useMemo, useState } from "react";
import { Checkbox } from "./Checkbox";
import { Toggle } from "./Toggle";

export interface DropdownProps {
  label: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 3 }, (_, index) => ({ id: index, value: index * 18 }));

export function Dropdown(props: DropdownProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="dropdown" data-total={total}>
      <h2>{props.label}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        Dropdown: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <Checkbox label={`${props.label} Checkbox`} count={count} />
      <Toggle title={`${props.label} Toggle`} count={count} />
    </section>
  );
}
