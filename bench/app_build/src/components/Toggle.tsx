import { useMemo, useState } from "react";
import { ProgressBar } from "./ProgressBar";
import { Spinner } from "./Spinner";

export interface ToggleProps {
  title: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 4 }, (_, index) => ({ id: index, value: index * 20 }));

export function Toggle(props: ToggleProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="toggle" data-total={total}>
      <h2>{props.title}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        Toggle: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <ProgressBar label={`${props.title} ProgressBar`} count={count} />
      <Spinner text={`${props.title} Spinner`} count={count} />
    </section>
  );
}
