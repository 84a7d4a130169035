import { useMemo, useState } from "react";
import { UserList } from "./UserList";
import { UserRow } from "./UserRow";
import "./Chart.css";

export interface ChartProps {
  label: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 9 }, (_, index) => ({ id: index, value: index * 25 }));

export function Chart(props: ChartProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="chart" data-total={total}>
      <h2>{props.label}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        Chart: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <UserList title={`${props.label} UserList`} count={count} />
      <UserRow caption={`${props.label} UserRow`} count={count} />
    </section>
  );
}
