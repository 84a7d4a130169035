import { useMemo, useState } from "react";
import { Breadcrumbs } from "./Breadcrumbs";
import { StatCard } from "./StatCard";
import "./Spinner.css";

export interface SpinnerProps {
  text: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 8 }, (_, index) => ({ id: index, value: index * 22 }));

export function Spinner(props: SpinnerProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="spinner" data-total={total}>
      <h2>{props.text}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        Spinner: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <Breadcrumbs label={`${props.text} Breadcrumbs`} count={count} />
      <StatCard title={`${props.text} StatCard`} count={count} />
    </section>
  );
}
