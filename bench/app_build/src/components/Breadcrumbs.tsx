import { useMemo, useState } from "react";
import { StatCard } from "./StatCard";
import { Chart } from "./Chart";

export interface BreadcrumbsProps {
  label: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 7 }, (_, index) => ({ id: index, value: index * 23 }));

export function Breadcrumbs(props: BreadcrumbsProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="breadcrumbs" data-total={total}>
      <h2>{props.label}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        Breadcrumbs: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <StatCard title={`${props.label} StatCard`} count={count} />
      <Chart label={`${props.label} Chart`} count={count} />
    </section>
  );
}
