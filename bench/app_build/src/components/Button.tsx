import { useMemo, useState } from "react";
import { Card } from "./Card";
import { Modal } from "./Modal";

export interface ButtonProps {
  label: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 8 }, (_, index) => ({ id: index, value: index * 5 }));

export function Button(props: ButtonProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="button" data-total={total}>
      <h2>{props.label}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        Button: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <Card label={`${props.label} Card`} count={count} />
      <Modal caption={`${props.label} Modal`} count={count} />
    </section>
  );
}
