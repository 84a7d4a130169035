import { useMemo, useState } from "react";
import { Chart } from "./Chart";
import { UserList } from "./UserList";

export interface StatCardProps {
  title: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 6 }, (_, index) => ({ id: index, value: index * 24 }));

export function StatCard(props: StatCardProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="statcard" data-total={total}>
      <h2>{props.title}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        StatCard: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <Chart label={`${props.title} Chart`} count={count} />
      <UserList title={`${props.title} UserList`} count={count} />
    </section>
  );
}
