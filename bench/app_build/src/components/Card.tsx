import { useMemo, useState } from "react";
import { Modal } from "./Modal";
import { DataTable } from "./DataTable";

export interface CardProps {
  label: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 4 }, (_, index) => ({ id: index, value: index * 6 }));

export function Card(props: CardProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="card" data-total={total}>
      <h2>{props.label}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        Card: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <Modal caption={`${props.label} Modal`} count={count} />
      <DataTable label={`${props.label} DataTable`} count={count} />
    </section>
  );
}
