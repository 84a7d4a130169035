import { useMemo, useState } from "react";
import { Dropdown } from "./Dropdown";
import { Checkbox } from "./Checkbox";

export interface TooltipProps {
  text: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 7 }, (_, index) => ({ id: index, value: index * 17 }));

export function Tooltip(props: TooltipProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="tooltip" data-total={total}>
      <h2>{props.text}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        Tooltip: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <Dropdown label={`${props.text} Dropdown`} count={count} />
      <Checkbox label={`${props.text} Checkbox`} count={count} />
    </section>
  );
}
